// npm run test:faults — "effectively once, nothing lost", proven under faults. On a stack of its
// own (Kafka and the registry on free ports, PostgreSQL behind a TCP fault injector), the five
// services run as real processes. Each scenario sends orders at a steady rate over HTTP, injects
// one fault, heals it, waits for the platform to settle and reconciles every order. It prints a
// table and exits 1 if any order was lost or doubled, or a scenario's own promise was broken.
// FAULTS=kafka,billing runs only the named scenarios.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
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
import { freePort, startOwnStack, type OwnStack } from '../support/own-stack';
import { waitFor } from '../support/wait';
import { FAULTS_CUSTOMER, OrderLoad, type Outcome, type SentOrder } from './load';
import { generateIssuerKey, startIssuer, type RunningIssuer } from '../../scripts/auth/issuer';
import { ensureBuilt } from '../../scripts/build';
import { ServiceProcess } from '../support/service-process';
import { FaultProxy } from '../support/fault-proxy';
import { Reconciler, type Verdict } from './reconcile';

const RATE_PER_SECOND = 12;
/** Orders the platform must accept before a fault, during it (where intake stays up) and after it. */
const WARM_UP = 24;
const DURING = 36;
const AFTER = 24;
const SCENARIO_DEADLINE_MS = 150_000;
const SETTLE_DEADLINE_MS = 150_000;

interface Run {
  stack: OwnStack;
  proxy: FaultProxy;
  pool: Pool;
  kafka: Kafka;
  prefix: string;
  env: Record<string, string>;
  issuer: RunningIssuer;
  logDir: string;
  services: Record<ServiceName, ServiceProcess>;
  reconciler: Reconciler;
}

interface Scenario {
  name: string;
  key: string;
  /** Injects the fault and returns once it has lasted long enough (a condition, not a time). */
  inject(run: Run, load: OrderLoad): Promise<void>;
  heal(run: Run, load: OrderLoad): Promise<void>;
  /** What the platform must have shown while the fault lasted; returns broken promises. */
  check?(run: Run, load: OrderLoad, marks: Marks): Promise<string[]> | string[];
}

interface Marks {
  faultAt: number;
  healStart: number;
  healedAt: number;
}

interface Row {
  scenario: string;
  sent: number;
  accepted: number;
  terminal: number;
  lost: number;
  doubled: number;
  recoverMs: number | undefined;
  problems: string[];
}

const log = (line: string) => console.log(`[faults ${new Date().toISOString().slice(11, 19)}] ${line}`);

async function scalar(pool: Pool, sql: string): Promise<number> {
  return Number((await pool.query(sql)).rows[0]?.n ?? 0);
}

const acceptedSince = (load: OrderLoad, since: number) =>
  load.accepted().filter((o) => o.answeredAt! >= since).length;

function killWorker(service: ServiceName): Scenario {
  return {
    key: service,
    name: `kill -9 ${service} mid-batch, restart`,
    async inject(run, load) {
      const inbox = `SELECT count(*)::int AS n FROM ${schemaName(service, run.prefix)}.inbox`;
      const before = await scalar(run.pool, inbox);
      await waitFor(async () => (await scalar(run.pool, inbox)) >= before + 10, {
        timeoutMs: 60_000,
        what: `${service} to be handling events`,
      });
      await run.services[service].kill();
      const killedAt = Date.now();
      log(`${service} killed (SIGKILL)`);
      await waitFor(() => acceptedSince(load, killedAt) >= DURING, {
        timeoutMs: 60_000,
        what: `${DURING} orders accepted while ${service} is dead`,
      });
    },
    async heal(run) {
      run.services[service].start();
      await run.services[service].ready();
    },
  };
}

const scenarios: Scenario[] = [
  {
    key: 'registry',
    name: 'restart the schema registry',
    async inject(run, load) {
      // Refunds hold back three record types until the registry is gone: their schemas can only
      // be fetched after it returns, while everything else runs from the services' caches.
      const terminal = `SELECT count(*)::int AS n FROM ${schemaName('orders', run.prefix)}.orders WHERE status IN ('SHIPPED', 'DECLINED', 'REFUNDED')`;
      // Caches are warm once shipped and declined orders went all the way: every consumer has
      // then decoded every record type of those paths at least once.
      const o = schemaName('orders', run.prefix);
      const warm = `SELECT count(*) FILTER (WHERE o.status = 'SHIPPED' AND e.n >= 6) >= 3 AND count(*) FILTER (WHERE o.status = 'DECLINED' AND e.n >= 3) >= 2 AS warm
        FROM ${o}.orders o JOIN (SELECT order_id, count(*) AS n FROM ${o}.order_events GROUP BY 1) e USING (order_id)`;
      await waitFor(async () => (await run.pool.query<{ warm: boolean }>(warm)).rows[0]?.warm === true, {
        timeoutMs: 60_000,
        what: 'shipped and declined orders (emails included) to warm the schema caches',
      });
      await run.stack.stop('registry');
      const downAt = Date.now();
      load.allowRefunds = true;
      const before = await scalar(run.pool, terminal);
      log('registry stopped');
      await waitFor(
        async () =>
          acceptedSince(load, downAt) >= DURING && (await scalar(run.pool, terminal)) >= before + 10,
        {
          timeoutMs: 60_000,
          what: `${DURING} orders accepted and 10 orders finished from schema caches while the registry is down`,
        },
      );
    },
    async heal(run) {
      await run.stack.start('registry');
    },
    async check(run, load, marks) {
      const problems: string[] = [];
      const refundsDuring = load
        .accepted()
        .filter((o) => o.outcome === 'REFUNDED' && o.sentAt < marks.healStart).length;
      if (refundsDuring === 0)
        problems.push('no refund order (new schemas) was accepted while the registry was down');
      // Billing first met InventoryInsufficient while the registry was gone: its lookup failed
      // then (and was retried), and succeeded once the registry was back.
      const text = await fetch(`${run.services.billing.url}/metrics`).then((r) => r.text());
      const calls = (outcome: string) =>
        Number(
          new RegExp(`^orderflow_registry_calls_total\\{[^}]*outcome="${outcome}"[^}]*\\} (\\d+)`, 'm').exec(
            text,
          )?.[1] ?? 0,
        );
      if (calls('error') === 0)
        problems.push('billing never failed a schema lookup: the registry outage was not felt');
      if (calls('ok') === 0) problems.push('billing never fetched a new schema after the registry came back');
      return problems;
    },
  },
  {
    key: 'kafka',
    name: 'kill -9 the Kafka broker, restart',
    async inject(run, load) {
      await run.stack.stop('kafka', 'SIGKILL');
      const downAt = Date.now();
      log('Kafka killed (SIGKILL)');
      await waitFor(() => acceptedSince(load, downAt) >= DURING, {
        timeoutMs: 60_000,
        what: `${DURING} orders accepted while Kafka is down`,
      });
    },
    async heal(run) {
      await run.stack.start('kafka');
    },
  },
  killWorker('billing'),
  killWorker('inventory'),
  killWorker('shipping'),
  killWorker('notifications'),
  {
    key: 'postgres',
    name: 'cut and refuse PostgreSQL connections',
    async inject(run, load) {
      await run.proxy.refuse();
      const downAt = Date.now();
      log('PostgreSQL connections cut; new ones refused');
      await waitFor(() => load.answered((o) => o.status === 503 && o.sentAt >= downAt) >= DURING, {
        timeoutMs: 60_000,
        what: `intake to answer 503 ${DURING} times while PostgreSQL is unreachable`,
      });
    },
    async heal(run) {
      await run.proxy.open();
    },
    check(_run, load, marks) {
      const problems: string[] = [];
      const unavailable = load.sent.filter((o) => o.status === 503).length;
      if (unavailable === 0) problems.push('intake never answered 503 while PostgreSQL was unreachable');
      const after = load.accepted().filter((o) => o.sentAt >= marks.healedAt).length;
      if (after === 0) problems.push('intake did not accept orders again after PostgreSQL came back');
      return problems;
    },
  },
  {
    key: 'rebalance',
    name: 'slow billing instance forces rebalances',
    async inject(run, load) {
      // A second billing instance whose every chunk takes longer than its session timeout: the
      // group expels it mid-transaction, hands its partitions over, and it rejoins, again and again.
      const slow = new ServiceProcess(
        'billing',
        await freePort(),
        { ...run.env, ORDERFLOW_TEST_HANDLER_DELAY_MS: '8000', KAFKA_SESSION_TIMEOUT_MS: '6000' },
        run.logDir,
        '-slow',
      );
      slowBilling = slow;
      slow.start();
      await slow.ready();
      const since = Date.now();
      const admin = run.kafka.admin();
      await admin.connect();
      const members = new Set<string>();
      try {
        await waitFor(
          async () => {
            const { groups } = await admin.describeGroups([groupOf('billing', run.prefix)]);
            for (const m of groups[0]?.members ?? []) members.add(m.memberId);
            return members.size >= 4 && acceptedSince(load, since) >= DURING;
          },
          { timeoutMs: 90_000, intervalMs: 250, what: 'the slow instance to be expelled and rejoin twice' },
        );
      } finally {
        await admin.disconnect();
      }
      log(`billing group saw ${members.size} member ids`);
    },
    async heal() {
      slowExit = await slowBilling!.stop();
    },
    check() {
      return slowExit === 0 ? [] : [`the slow billing instance exited with ${slowExit} on SIGTERM, not 0`];
    },
  },
];
let slowBilling: ServiceProcess | undefined;
let slowExit: number | null = null;

async function runScenario(run: Run, scenario: Scenario): Promise<Row> {
  const problems: string[] = [];
  for (const service of Object.values(run.services)) await service.ready(30_000);
  const load = new OrderLoad({
    url: run.services.orders.url,
    perSecond: RATE_PER_SECOND,
    maxOrders: 1_500,
    maxMs: SCENARIO_DEADLINE_MS,
    authorization: `Bearer ${await run.issuer.mint({ subject: FAULTS_CUSTOMER })}`,
  });
  load.allowRefunds = scenario.key !== 'registry';
  load.start();
  let marks: Marks | undefined;
  let recovery: Promise<number | undefined> = Promise.resolve(undefined);
  try {
    await waitFor(() => load.accepted().length >= WARM_UP, {
      timeoutMs: 30_000,
      what: `${WARM_UP} orders accepted before the fault`,
    });
    const faultAt = Date.now();
    log(`${scenario.name}: injecting`);
    // A fault that did not go as planned is a failure, but it is healed all the same.
    await scenario
      .inject(run, load)
      .catch((e: Error) => void problems.push(`during the fault: ${e.message}`));
    const healStart = Date.now();
    log(`${scenario.name}: healing`);
    const before = outcomes(load.accepted());
    await scenario.heal(run, load);
    marks = { faultAt, healStart, healedAt: Date.now() };
    log(`${scenario.name}: healed in ${((marks.healedAt - healStart) / 1000).toFixed(1)} s`);
    // Recovered: every order accepted before healing has gone all the way through.
    recovery = waitFor(() => run.reconciler.settled(before), {
      timeoutMs: SETTLE_DEADLINE_MS,
      intervalMs: 250,
      what: 'orders accepted before healing to settle',
    }).then(
      () => Date.now() - healStart,
      (e: Error) => void problems.push(e.message),
    );
    const healedAt = marks.healedAt;
    await waitFor(() => acceptedSince(load, healedAt) >= AFTER, {
      timeoutMs: 60_000,
      what: `${AFTER} orders accepted after healing`,
    });
  } catch (e) {
    problems.push((e as Error).message);
  } finally {
    await load.stop();
  }
  const recoverMs = await recovery;

  const sent = load.sent;
  const accepted = load.accepted();
  const stored = await run.reconciler.stored(sent.map((o) => o.orderId));
  const all = outcomes(sent.filter((o) => accepted.includes(o) || stored.has(o.orderId)));
  await waitFor(() => run.reconciler.settled(all), {
    timeoutMs: SETTLE_DEADLINE_MS,
    intervalMs: 250,
    what: 'every order to settle',
  }).catch((e: Error) => problems.push(e.message));
  const verdict: Verdict = await run.reconciler.reconcile(all).catch((e: Error) => {
    problems.push(`reconciliation failed: ${e.message}`);
    return { orders: all.size, terminal: 0, lost: [], doubled: [], notes: [] };
  });
  const answers = new Map<string, number>();
  for (const o of sent) answers.set(String(o.status), (answers.get(String(o.status)) ?? 0) + 1);
  const odd = [...answers].filter(([status]) => !['201', '503'].includes(status));
  if (odd.length > 0)
    problems.push(
      `intake answered ${odd.map(([s, n]) => `${s} ×${n}`).join(', ')} (only 201, or 503 while PostgreSQL is down, are acceptable)`,
    );
  if (marks && scenario.check) problems.push(...(await scenario.check(run, load, marks)));
  problems.push(...verdict.notes);
  for (const line of [
    ...verdict.lost.slice(0, 5).map((l) => `lost ${l}`),
    ...verdict.doubled.slice(0, 5).map((l) => `doubled ${l}`),
  ])
    problems.push(line);
  const skipped = await duplicatesSkipped(run);
  log(`${scenario.name}: ${skipped} redelivered events skipped as duplicates so far`);
  log(
    `${scenario.name}: ${sent.length} sent, ${accepted.length} accepted (${[...answers].map(([s, n]) => `${s}×${n}`).join(' ')}), ${verdict.terminal}/${verdict.orders} terminal`,
  );
  return {
    scenario: scenario.name,
    sent: sent.length,
    accepted: accepted.length,
    terminal: verdict.terminal,
    lost: verdict.lost.length,
    doubled: verdict.doubled.length,
    recoverMs,
    problems,
  };
}

/** orderflow_duplicates_skipped_total over the running services: redeliveries the inbox absorbed. */
async function duplicatesSkipped(run: Run): Promise<number> {
  let total = 0;
  for (const service of Object.values(run.services)) {
    const text = await fetch(`${service.url}/metrics`).then(
      (r) => r.text(),
      () => '',
    );
    for (const m of text.matchAll(/^orderflow_duplicates_skipped_total\{[^}]*\} (\d+)/gm))
      total += Number(m[1]);
  }
  return total;
}

function outcomes(orders: SentOrder[]): Map<string, Outcome> {
  return new Map(orders.map((o) => [o.orderId, o.outcome]));
}

function printTable(rows: Row[]): void {
  const header = ['scenario', 'orders sent', 'accepted', 'terminal', 'lost', 'doubled', 'time to recover'];
  const cells = rows.map((r) => [
    r.scenario,
    String(r.sent),
    String(r.accepted),
    String(r.terminal),
    String(r.lost),
    String(r.doubled),
    r.recoverMs === undefined ? 'never' : `${(r.recoverMs / 1000).toFixed(1)} s`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    `| ${c.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join(' | ')} |`;
  console.log();
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const c of cells) console.log(line(c));
  console.log();
}

async function main(): Promise<number> {
  ensureBuilt(); // the services run compiled, as in production
  const started = Date.now();
  const only = process.env.FAULTS?.split(',').filter(Boolean);
  const chosen = only ? scenarios.filter((s) => only.includes(s.key)) : scenarios;
  const id = randomBytes(3).toString('hex');
  const prefix = `faults-${id}-`;
  const logDir = join(__dirname, '..', '..', '.stack', 'logs', `faults-${id}`);
  mkdirSync(logDir, { recursive: true });
  log(`starting a stack of our own (logs: ${logDir})`);
  const stack = await startOwnStack({ log });
  const pg = new URL(stack.env.DATABASE_URL);
  const proxy = await FaultProxy.start({ host: pg.hostname, port: Number(pg.port || 5432) });
  const proxied = new URL(stack.env.DATABASE_URL);
  proxied.port = String(proxy.port);
  const pool = new Pool({ connectionString: stack.env.DATABASE_URL, max: 4 });
  const kafka = new Kafka({
    clientId: 'orderflow-faults',
    brokers: [stack.env.KAFKA_BROKERS],
    logLevel: logLevel.NOTHING,
  });
  // Auth on, as deployed: the services trust a token issuer of this run's own.
  const issuer = await startIssuer(await generateIssuerKey());
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    ...stack.env,
    ...issuer.serviceEnv(),
    DATABASE_URL: proxied.toString(),
    TOPIC_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    PAYMENT_LIMIT_CENTS: '100000',
  };
  const services = {} as Record<ServiceName, ServiceProcess>;
  for (const name of SERVICE_NAMES) services[name] = new ServiceProcess(name, await freePort(), env, logDir);
  const run: Run = {
    stack,
    proxy,
    pool,
    kafka,
    prefix,
    env,
    issuer,
    logDir,
    services,
    reconciler: new Reconciler(pool, kafka, prefix, stack.env.SCHEMA_REGISTRY_URL),
  };
  const rows: Row[] = [];
  let cleaned: Promise<void> | undefined;
  const cleanUp = () =>
    (cleaned ??= (async () => {
      await slowBilling?.stop().catch(() => undefined);
      for (const service of Object.values(services)) await service.stop().catch(() => undefined);
      await proxy.close();
      await issuer.close();
      for (const service of SERVICE_NAMES)
        await pool
          .query(`DROP SCHEMA IF EXISTS ${schemaName(service, prefix)} CASCADE`)
          .catch(() => undefined);
      await pool.end();
      await stack.destroy().catch((e: Error) => log(`could not tear the stack down: ${e.message}`));
    })());
  // Interrupted, it still stops what it started.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping what the suite started`);
      void cleanUp().finally(() => process.exit(1));
    });
  }
  try {
    await ensureTopics(
      kafka,
      platformTopics(
        prefix,
        SERVICE_NAMES.map((s) => groupOf(s, prefix)),
      ),
    );
    for (const service of Object.values(services)) service.start();
    await Promise.all(Object.values(services).map((s) => s.ready()));
    log(`five services ready after ${((Date.now() - started) / 1000).toFixed(0)} s`);
    for (const scenario of chosen) rows.push(await runScenario(run, scenario));
  } finally {
    await cleanUp();
  }
  printTable(rows);
  const failed = rows.filter(
    (r) => r.lost > 0 || r.doubled > 0 || r.problems.length > 0 || r.recoverMs === undefined,
  );
  for (const r of failed) {
    console.log(`FAILED: ${r.scenario}`);
    for (const p of r.problems) console.log(`  - ${p}`);
  }
  const passed = rows.length - failed.length;
  console.log(`fault suite took ${((Date.now() - started) / 1000).toFixed(0)} s; logs in ${logDir}`);
  console.log(`faults: ${passed} passed, ${failed.length} failed`);
  return failed.length === 0 && rows.length === chosen.length ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error('fault suite failed to run:', e);
    process.exit(1);
  },
);
