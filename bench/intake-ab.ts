// `npx tsx bench/intake-ab.ts [--platform] [--rounds 3] [--seconds 15] [--connections 128]
//   [--variant 'NAME|DIST_DIR|NODE_FLAGS|ENV=V ENV=V']...`
// orders alone (or, with --platform, orders and the four workers) under a closed loop of
// POST /orders, longer than the bench's phases, with variants side by side: each round runs
// every variant once, in turn (A B A B …), each on a fresh prefix. A variant is a compiled tree
// (a copy of dist/ made from another commit, say), Node flags and environment on top of the
// bench's. Per run: orders/s answered, orders' CPU per order (from /proc), orders' RSS sampled
// every 100 ms (peak and mean), and with --platform the time until orders' own projection
// shows every accepted order SHIPPED (RSS is sampled through that catch-up too).
// BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=DIR' profiles the processes, as for the bench.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  SERVICE_NAMES,
  serviceNodeFlags,
  ensureTopics,
  groupOf,
  platformTopics,
  schemaName,
} from '@orderflow/shared';
import { ensureBuilt } from '../scripts/build';
import { closedLoop } from './lib/load';
import { processCpuMs, processRssMb } from './lib/os';
import { spawnChild, type Child } from './lib/procs';
import { percentilesMs } from './lib/stats';
import { nextRequest } from './orders';
import { benchStack, mintCustomerTokens } from './lib/local-stack';
import { CHAIN } from './pipelines';

interface Variant {
  name: string;
  child: string;
  /** Node's flags of every process; as in production (serviceNodeFlags) when absent. */
  flags?: string[];
  env: Record<string, string>;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

function variants(): Variant[] {
  const given = process.argv.flatMap((a, i) => (process.argv[i - 1] === '--variant' ? [a] : []));
  return (given.length > 0 ? given : ['current|dist||']).map((spec) => {
    const [name, dist, flags, env] = spec.split('|');
    return {
      name: name!,
      child: join(resolve(dist || 'dist'), 'bench', 'child.js'),
      flags: flags ? flags.split(' ').filter(Boolean) : undefined,
      env: Object.fromEntries(
        (env ?? '')
          .split(' ')
          .filter(Boolean)
          .map((kv) => kv.split('=') as [string, string]),
      ),
    };
  });
}

async function main(): Promise<void> {
  const platform = process.argv.includes('--platform');
  const rounds = Number(arg('rounds', '3'));
  const seconds = Number(arg('seconds', '15'));
  const connections = Number(arg('connections', '128'));
  const list = variants();
  ensureBuilt();
  const { env: stack, kafka, pool, issuer } = await benchStack('intake-ab');
  await mintCustomerTokens(issuer);
  const logDir = join(__dirname, 'results', `intake-ab-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(logDir, { recursive: true });
  const tag = Math.random().toString(36).slice(2, 6);

  for (let round = 1; round <= rounds; round++) {
    for (const v of list) {
      const prefix = `ab${tag}${round}${v.name.replace(/[^a-z0-9]/gi, '').slice(0, 8)}-`.toLowerCase();
      await ensureTopics(
        kafka,
        platformTopics(
          prefix,
          SERVICE_NAMES.map((s) => groupOf(s, prefix)),
        ),
      );
      const env = {
        ...stack,
        TOPIC_PREFIX: prefix,
        PORT: '0',
        LOG_LEVEL: 'warn',
        PAYMENT_LIMIT_CENTS: '100000000',
        HTTP_RATE_LIMIT_PER_SECOND: '0',
        ...v.env,
      };
      const start = (service: string) =>
        spawnChild(
          `orderflow.${service}`,
          ['orderflow', service],
          env,
          `${logDir}/${prefix}${service}.log`,
          v.flags ?? serviceNodeFlags(service),
          true,
          v.child,
        );
      const children: Child[] = [];
      try {
        const orders = await start('orders');
        children.push(orders);
        if (platform) children.push(...(await Promise.all(CHAIN.map(start))));
        await sleep(1_000);
        const idle = processRssMb(orders.pid);
        let peak = idle;
        let sum = 0;
        let samples = 0;
        const timer = setInterval(() => {
          const rss = processRssMb(orders.pid);
          peak = Math.max(peak, rss);
          sum += rss;
          samples++;
        }, 100);
        const cpu0 = processCpuMs(orders.pid);
        const load = await closedLoop(orders.url!, nextRequest, connections, seconds * 1000);
        const cpu = processCpuMs(orders.pid) - cpu0;
        const loadPeak = peak;
        let caughtUpS = NaN;
        if (platform) {
          const t0 = performance.now();
          const deadline = t0 + 120_000;
          const table = `${schemaName('orders', prefix)}.orders`;
          while (performance.now() < deadline) {
            const { rows } = await pool.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM ${table} WHERE status = 'SHIPPED' AND order_id = ANY($1)`,
              [load.accepted],
            );
            if (rows[0]!.n >= load.accepted.length) {
              caughtUpS = (performance.now() - t0) / 1000;
              break;
            }
            await sleep(200);
          }
        }
        clearInterval(timer);
        const lat = percentilesMs(load.latency);
        console.log(
          JSON.stringify({
            round,
            variant: v.name,
            ordersPerSec: Math.round(load.ok / (load.durationMs / 1000)),
            errors: load.errors,
            cpuMsPerOrder: +(cpu / Math.max(1, load.ok)).toFixed(3),
            ordersCorePct: Math.round((cpu / load.durationMs) * 100),
            p50: +lat.p50.toFixed(1),
            p99: +lat.p99.toFixed(1),
            rssIdle: Math.round(idle),
            rssPeakUnderLoad: Math.round(loadPeak),
            rssPeak: Math.round(peak),
            rssMean: Math.round(sum / Math.max(1, samples)),
            ...(platform && { caughtUpS: +caughtUpS.toFixed(1) }),
          }),
        );
      } finally {
        await Promise.all(children.map((c) => c.stop()));
        for (const s of SERVICE_NAMES)
          await pool.query(`DROP SCHEMA IF EXISTS ${schemaName(s, prefix)} CASCADE`);
        const admin = kafka.admin();
        await admin.connect();
        const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
        await admin.deleteTopics({ topics, timeout: 30_000 }).catch(() => undefined);
        const groups = (await admin.listGroups()).groups
          .map((g) => g.groupId)
          .filter((g) => g.startsWith(prefix));
        if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
        await admin.disconnect();
      }
    }
  }
  await pool.end();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
