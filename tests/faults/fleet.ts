// A fleet: the five services as real processes on a Kafka stack of the suite's own (one broker,
// or a three-broker KRaft cluster), with their PostgreSQL behind a TCP fault injector and their
// own topic prefix. It remembers every order sent to it, for the last reconciliation.
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import {
  SERVICE_NAMES,
  ensureTopics,
  groupOf,
  platformTopics,
  schemaName,
  type ServiceName,
} from '@orderflow/shared';
import type { RunningIssuer } from '../../scripts/auth/issuer';
import type { FaultProxy } from '../support/fault-proxy';
import { freePort, type OwnStack } from '../support/own-stack';
import { ServiceProcess } from '../support/service-process';
import type { Outcome } from './load';
import { Reconciler } from './reconcile';

export interface Fleet {
  /** How the table names the fleet's stack. */
  label: string;
  stack: OwnStack;
  pool: Pool;
  kafka: Kafka;
  prefix: string;
  /** What every service process of the fleet runs with. */
  env: Record<string, string>;
  logDir: string;
  services: Record<ServiceName, ServiceProcess>;
  /** Instances beyond the first, started by scenarios; stopped with the fleet. */
  extra: ServiceProcess[];
  reconciler: Reconciler;
  /** Every order this fleet accepted or stored, over all its scenarios. */
  orders: Map<string, Outcome>;
}

export interface FleetOptions {
  label: string;
  stack: OwnStack;
  /** The registry every fleet shares (subjects are prefixed). */
  registryUrl: string;
  /** The suite's PostgreSQL: `direct` for the reconciler, `proxied` (through the fault injector) for services. */
  database: { direct: string; proxied: string };
  proxy: FaultProxy;
  issuer: RunningIssuer;
  prefix: string;
  logDir: string;
}

export async function startFleet(o: FleetOptions): Promise<Fleet> {
  const brokers = o.stack.env.KAFKA_BROKERS;
  const kafka = new Kafka({
    clientId: 'orderflow-faults',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    KAFKA_BROKERS: brokers,
    SCHEMA_REGISTRY_URL: o.registryUrl,
    ...o.issuer.serviceEnv(),
    DATABASE_URL: o.database.proxied,
    TOPIC_PREFIX: o.prefix,
    LOG_LEVEL: 'warn',
    PAYMENT_LIMIT_CENTS: '100000',
    ORDERFLOW_TEST_CRASH_ON_SIGUSR2: 'true',
  };
  const services = {} as Record<ServiceName, ServiceProcess>;
  for (const name of SERVICE_NAMES)
    services[name] = new ServiceProcess(name, await freePort(), env, o.logDir);
  const pool = new Pool({ connectionString: o.database.direct, max: 4 });
  // An idle connection dies with the server in the PostgreSQL crash scenario; the next query reconnects.
  pool.on('error', () => undefined);
  await ensureTopics(
    kafka,
    platformTopics(
      o.prefix,
      SERVICE_NAMES.map((s) => groupOf(s, o.prefix)),
    ),
  );
  for (const service of Object.values(services)) service.start();
  await Promise.all(Object.values(services).map((s) => s.ready()));
  return {
    label: o.label,
    stack: o.stack,
    pool,
    kafka,
    prefix: o.prefix,
    env,
    logDir: o.logDir,
    services,
    extra: [],
    reconciler: new Reconciler(pool, kafka, o.prefix, o.registryUrl),
    orders: new Map(),
  };
}

/** Every service process of the fleet, extra instances included. */
export function processesOf(fleet: Fleet): ServiceProcess[] {
  return [...Object.values(fleet.services), ...fleet.extra];
}

/** A second (third, …) instance of `service`, in the same consumer group, on a port of its own. */
export async function addInstance(
  fleet: Fleet,
  service: ServiceName,
  env: Record<string, string> = {},
): Promise<ServiceProcess> {
  const tag = `-${2 + fleet.extra.filter((p) => p.name === service).length}`;
  const instance = new ServiceProcess(service, await freePort(), { ...fleet.env, ...env }, fleet.logDir, tag);
  fleet.extra.push(instance);
  instance.start();
  await instance.ready();
  return instance;
}

const stopped = new WeakSet<Fleet>();

/** Stops every process of the fleet and drops its schemas; safe to call twice. */
export async function stopFleet(fleet: Fleet): Promise<void> {
  if (stopped.has(fleet)) return;
  stopped.add(fleet);
  for (const p of processesOf(fleet)) await p.stop().catch(() => undefined);
  for (const service of SERVICE_NAMES)
    await fleet.pool
      .query(`DROP SCHEMA IF EXISTS ${schemaName(service, fleet.prefix)} CASCADE`)
      .catch(() => undefined);
  await fleet.pool.end();
}

/** orderflow_duplicates_skipped_total of each running process, by process start. */
export async function duplicatesSkipped(fleet: Fleet): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const p of processesOf(fleet)) {
    if (!p.running) continue;
    const text = await fetch(`${p.url}/metrics`).then(
      (r) => r.text(),
      () => '',
    );
    let total = 0;
    for (const m of text.matchAll(/^orderflow_duplicates_skipped_total\{[^}]*\} (\d+)/gm))
      total += Number(m[1]);
    counts.set(`${p.name}${p.url}#${p.starts}`, total);
  }
  return counts;
}

/** Redeliveries the inboxes absorbed between two readings (a restarted process counts from 0). */
export function absorbedBetween(before: Map<string, number>, after: Map<string, number>): number {
  let total = 0;
  for (const [key, n] of after) total += n - (before.get(key) ?? 0);
  return total;
}
