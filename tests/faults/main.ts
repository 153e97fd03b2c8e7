// npm run test:faults — "effectively once, nothing lost", proven under faults. The five services
// run as real processes on stacks of the suite's own: a one-broker fleet and a three-broker fleet
// (KRaft, 3 replicas, min ISR 2), sharing one registry and one PostgreSQL server the suite owns
// (embedded, behind a TCP fault injector; never the machine's shared server). Each scenario
// sends orders at a steady rate over HTTP, injects one fault, heals it, waits for the platform to
// settle and reconciles its orders; a last reconciliation covers every order of each fleet. It
// prints a table and exits 1 if any order was lost or doubled, or a scenario's own promise was
// broken. FAULTS=kafka,billing runs only the named scenarios; an unknown name
// exits 2.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { generateIssuerKey, startIssuer } from '../../scripts/auth/issuer';
import { ensureBuilt } from '../../scripts/build';
import { FaultProxy } from '../support/fault-proxy';
import { startOwnPostgres, type OwnPostgres } from '../support/own-postgres';
import { startOwnStack, type OwnStack } from '../support/own-stack';
import { THREE_BROKER_SCENARIOS } from './broker-scenarios';
import { startFleet, stopFleet, type Fleet } from './fleet';
import { runScenario, type Row, type Scenario, type Suite } from './run-scenario';
import { ONE_BROKER_SCENARIOS } from './scenarios';

const log = (line: string) => console.log(`[faults ${new Date().toISOString().slice(11, 19)}] ${line}`);

const ALL = [...ONE_BROKER_SCENARIOS, ...THREE_BROKER_SCENARIOS];

/** The scenarios FAULTS names (all when unset); undefined when it names one that does not exist. */
function chosenScenarios(): Scenario[] | undefined {
  const only = process.env.FAULTS?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!only || only.length === 0) return ALL;
  const unknown = only.filter((key) => !ALL.some((s) => s.key === key));
  if (unknown.length > 0) {
    console.error(`FAULTS names no scenario called ${unknown.join(', ')}. Valid names:`);
    for (const s of ALL) console.error(`  ${s.key.padEnd(18)} ${s.name}`);
    return undefined;
  }
  return ALL.filter((s) => only.includes(s.key));
}

function printTable(rows: Row[]): void {
  const seconds = (ms: number | undefined, none = 'never') =>
    ms === undefined ? none : `${(ms / 1000).toFixed(1)} s`;
  const header = [
    'scenario',
    'stack',
    'orders sent',
    'accepted',
    'terminal',
    'lost',
    'doubled',
    'stall',
    'recovery',
    'redeliveries absorbed',
  ];
  const cells = rows.map((r) => [
    r.scenario,
    r.stack,
    String(r.sent),
    String(r.accepted),
    String(r.terminal),
    String(r.lost),
    String(r.doubled),
    seconds(r.stallMs, '–'),
    r.wholeRun ? '–' : seconds(r.recoverMs),
    r.wholeRun ? '–' : String(r.absorbed),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const text = (i: number) => i < 2;
  const line = (c: string[]) =>
    `| ${c.map((v, i) => (text(i) ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join(' | ')} |`;
  console.log();
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (text(i) ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const c of cells) console.log(line(c));
  console.log();
}

/** The last reconciliation: every order the fleet took, over all its scenarios, counted again. */
async function reconcileWholeRun(fleet: Fleet): Promise<Row> {
  const started = Date.now();
  const problems: string[] = [];
  const verdict = await fleet.reconciler.reconcile(fleet.orders).catch((e: Error) => {
    problems.push(`reconciliation failed: ${e.message}`);
    return { orders: fleet.orders.size, terminal: 0, lost: [], doubled: [], notes: [] };
  });
  problems.push(...verdict.notes, ...verdict.lost.slice(0, 5), ...verdict.doubled.slice(0, 5));
  log(
    `whole run on ${fleet.label}: ${verdict.terminal}/${verdict.orders} terminal, reconciled in ${Date.now() - started} ms`,
  );
  return {
    scenario: 'every order of the run, reconciled again',
    stack: fleet.label,
    sent: fleet.orders.size,
    accepted: fleet.orders.size,
    terminal: verdict.terminal,
    lost: verdict.lost.length,
    doubled: verdict.doubled.length,
    stallMs: undefined,
    recoverMs: undefined,
    absorbed: 0,
    problems,
    wholeRun: true,
  };
}

async function main(): Promise<number> {
  const chosen = chosenScenarios();
  if (!chosen) return 2;
  ensureBuilt(); // the services run compiled, as in production
  const started = Date.now();
  const id = randomBytes(3).toString('hex');
  const logDir = join(__dirname, '..', '..', '.stack', 'logs', `faults-${id}`);
  const ownDir = join(__dirname, '..', '..', '.stack', 'own', `faults-${id}`);
  mkdirSync(logDir, { recursive: true });
  log(`starting stacks of our own (logs: ${logDir})`);

  const cleanups: (() => Promise<unknown>)[] = [];
  let cleaned: Promise<void> | undefined;
  const cleanUp = () =>
    (cleaned ??= (async () => {
      for (const step of cleanups.reverse())
        await step().catch((e: Error) => log(`could not clean up: ${e.message}`));
    })());
  // Interrupted or crashed, it still stops what it started.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping what the suite started`);
      void cleanUp().finally(() => process.exit(1));
    });
  }
  process.once('uncaughtException', (e) => {
    console.error('fault suite crashed:', e);
    void cleanUp().finally(() => process.exit(1));
  });

  const rows: Row[] = [];
  try {
    cleanups.push(async () => rmSync(ownDir, { recursive: true, force: true }));
    const postgres: OwnPostgres = await startOwnPostgres(join(ownDir, 'postgres'));
    cleanups.push(() => postgres.destroy());
    const proxy = await FaultProxy.start({ host: '127.0.0.1', port: Number(new URL(postgres.url).port) });
    cleanups.push(() => proxy.close());
    const proxied = new URL(postgres.url);
    proxied.port = String(proxy.port);
    // Auth on, as deployed: the services trust a token issuer of this run's own.
    const issuer = await startIssuer(await generateIssuerKey());
    cleanups.push(() => issuer.close());
    const suite: Suite = { proxy, postgres, issuer, log };
    const database = { direct: postgres.url, proxied: proxied.toString() };

    // The one-broker stack runs the registry every fleet uses.
    const single = await startOwnStack({ log });
    cleanups.push(() => single.destroy());
    const registryUrl = single.env.SCHEMA_REGISTRY_URL;
    const groups: [string, Scenario[], () => Promise<OwnStack>][] = [
      ['1 broker', chosen.filter((s) => ONE_BROKER_SCENARIOS.includes(s)), async () => single],
      [
        '3 brokers',
        chosen.filter((s) => THREE_BROKER_SCENARIOS.includes(s)),
        async () => {
          // The one-broker fleet is done (or was not chosen): its broker's JVM makes room for three.
          await single.stop('kafka');
          const cluster = await startOwnStack({ components: ['kafka'], brokers: 3, log });
          cleanups.push(() => cluster.destroy());
          return cluster;
        },
      ],
    ];
    for (const [label, scenarios, stackOf] of groups) {
      if (scenarios.length === 0) continue;
      const fleetStarted = Date.now();
      const fleet = await startFleet({
        label,
        stack: await stackOf(),
        registryUrl,
        database,
        proxy,
        issuer,
        prefix: `faults-${id}-${label[0]}-`,
        logDir,
      });
      cleanups.push(() => stopFleet(fleet));
      log(`${label}: five services ready after ${((Date.now() - fleetStarted) / 1000).toFixed(0)} s`);
      try {
        for (const scenario of scenarios) rows.push(await runScenario(fleet, scenario, suite));
        rows.push(await reconcileWholeRun(fleet));
      } finally {
        await stopFleet(fleet);
      }
    }
  } finally {
    await cleanUp();
  }
  printTable(rows);
  const failed = rows.filter(
    (r) => r.lost > 0 || r.doubled > 0 || r.problems.length > 0 || (!r.wholeRun && r.recoverMs === undefined),
  );
  for (const r of failed) {
    console.log(`FAILED: ${r.scenario} (${r.stack})`);
    for (const p of r.problems) console.log(`  - ${p}`);
  }
  const scenarioRows = rows.filter((r) => !r.wholeRun);
  console.log(`fault suite took ${((Date.now() - started) / 1000).toFixed(0)} s; logs in ${logDir}`);
  console.log(`faults: ${rows.length - failed.length} passed, ${failed.length} failed`);
  return failed.length === 0 && scenarioRows.length === chosen.length ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error('fault suite failed to run:', e);
    process.exit(1);
  },
);
