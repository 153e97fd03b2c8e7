// `npx tsx bench/drain-ab.ts [--count 20000] [--rounds 5] [--worker billing]
//   --variant NAME=DIST_DIR [--variant NAME=DIST_DIR]...`
// One worker alone draining a pre-filled backlog, as the bench's drain phase does
// (bench/phases/drains.ts: the orderflow pipeline's drain, measured from the first output to the
// last), with a longer backlog and builds side by side: each round runs every variant once, in
// turn (A B A B …), each on a fresh prefix. A variant is a compiled tree (a copy of dist/ made
// from another commit, say). Per run: msg/s, the worker's CPU per 1,000 messages, that of the
// PostgreSQL backends of its pool, and the whole machine's (all from /proc).
// BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=DIR' profiles the workers, as for the bench.
import { fork } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { schemaName, serviceNodeFlags } from '@orderflow/shared';
import { prefill, topicCount } from './lib/kafka';
import { benchStack } from './lib/local-stack';
import { cpuMark, processCpuMs } from './lib/os';
import { spread } from './lib/stats';
import { waitUntil } from './lib/wait';
import { orderflowPipeline, type BenchContext, type WorkerName } from './pipelines';

const args = process.argv.slice(2);
const option = (flag: string) => args.filter((_, i) => args[i - 1] === flag);
const count = Number(option('--count')[0] ?? 20_000);
const rounds = Number(option('--rounds')[0] ?? 5);
const worker = (option('--worker')[0] ?? 'billing') as WorkerName;
const variants = option('--variant').map((v) => {
  const [name, dir] = v.split('=');
  if (!name || !dir) throw new Error(`--variant takes NAME=DIST_DIR, not ${v}`);
  return { name, child: join(resolve(dir), 'bench', 'child.js') };
});
if (variants.length === 0) throw new Error('give at least one --variant NAME=DIST_DIR');

interface Run {
  msgsPerSec: number;
  workerCpuMsPer1k: number;
  pgCpuMsPer1k: number;
  machineCpuMsPer1k: number;
}

async function main(): Promise<void> {
  const { env: stack, kafka, pool } = await benchStack('drain-ab');
  const logDir = join(__dirname, 'results', `drain-ab-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(logDir, { recursive: true });
  const ctx: BenchContext = {
    stack,
    kafka,
    logDir,
    sql: async (text, params) => (await pool.query(text, params)).rows,
    payloadBytes: 0,
  };
  const pipeline = orderflowPipeline(ctx);
  const admin = kafka.admin();
  await admin.connect();
  const tag = Math.random().toString(36).slice(2, 6);
  const prefixes: string[] = [];
  const runs = new Map<string, Run[]>(variants.map((v) => [v.name, []]));
  try {
    for (let r = 0; r < rounds; r++) {
      for (const [k, variant] of variants.entries()) {
        const prefix = `da${tag}${r}${k}-`;
        prefixes.push(prefix);
        const run = await drainOnce(prefix, variant.child);
        runs.get(variant.name)!.push(run);
        console.log(`round ${r + 1}/${rounds} ${variant.name}: ${describe(run)}`);
      }
    }
  } finally {
    await admin.disconnect();
    for (const prefix of prefixes) await pipeline.cleanup(prefix);
    await pool.end();
  }
  for (const [name, list] of runs) {
    const of = (label: string, pick: (run: Run) => number, digits = 1) => {
      const s = spread(list.map(pick))!;
      return `${label} ${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
    };
    console.log(
      `${name}, median (min–max) of ${list.length}: ${[
        of('msg/s', (x) => x.msgsPerSec, 0),
        of('worker CPU-ms/1k', (x) => x.workerCpuMsPer1k),
        of('its PostgreSQL backends', (x) => x.pgCpuMsPer1k),
        of('machine', (x) => x.machineCpuMsPer1k),
      ].join(', ')}`,
    );
  }

  async function drainOnce(prefix: string, child: string): Promise<Run> {
    await pipeline.prepare(prefix);
    const spec = await pipeline.drain(prefix, worker, count);
    // A producer per run: kafkajs keeps refreshing metadata of every topic it sent to, and runs' topics are deleted.
    const producer = kafka.producer();
    await producer.connect();
    await prefill(producer, spec.input, spec.messages);
    await producer.disconnect();
    const fd = openSync(join(logDir, `${prefix}${worker}.log`), 'a');
    const proc = fork(child, ['orderflow', worker], {
      execArgv: [
        ...serviceNodeFlags(worker),
        ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
      ],
      env: {
        ...process.env,
        ...stack,
        TOPIC_PREFIX: prefix,
        PORT: '0',
        LOG_LEVEL: 'warn',
        PAYMENT_LIMIT_CENTS: '100000000',
      },
      stdio: ['ignore', fd, fd, 'ipc'],
    });
    closeSync(fd);
    try {
      await new Promise<void>((ready, failed) => {
        proc.on('message', (m: { ready?: boolean }) => m.ready && ready());
        proc.once('exit', (code) => failed(new Error(`${worker} exited with ${code} before it was ready`)));
      });
      // The backends of the worker's pool, found by its schema (db.ts names its connections so).
      let backends: number[] = [];
      const pgCpu = () => backends.reduce((sum, pid) => sum + processCpuMs(pid), 0);
      type Mark = { count: number; cpu: ReturnType<typeof cpuMark>; pg: number };
      let first: Mark | undefined;
      let last: Mark | undefined;
      await waitUntil(
        async () => {
          const n = await topicCount(admin, spec.output!);
          if (!first && n > 0) {
            const rows = await ctx.sql(`SELECT pid FROM pg_stat_activity WHERE application_name = $1`, [
              schemaName(worker, prefix),
            ]);
            backends = rows.map((row) => (row as { pid: number }).pid);
            first = { count: n, cpu: cpuMark(proc.pid!), pg: pgCpu() };
          }
          if (first) last = { count: n, cpu: cpuMark(proc.pid!), pg: pgCpu() };
          return n >= count;
        },
        120_000,
        50,
      );
      if (!first || !last || last.count <= first.count)
        throw new Error(`${worker} drained nothing measurable`);
      const thousands = (Math.min(count, last.count) - first.count) / 1000;
      return {
        msgsPerSec: (thousands * 1000) / ((last.cpu.at - first.cpu.at) / 1000),
        workerCpuMsPer1k: (last.cpu.process - first.cpu.process) / thousands,
        pgCpuMsPer1k: (last.pg - first.pg) / thousands,
        machineCpuMsPer1k: (last.cpu.machine - first.cpu.machine) / thousands,
      };
    } finally {
      const exited = new Promise((done) => proc.once('exit', done));
      if (proc.connected) proc.send({ stop: true });
      else proc.kill('SIGKILL');
      await exited;
    }
  }
}

function describe(run: Run): string {
  const f = (n: number) => n.toFixed(1);
  return `${Math.round(run.msgsPerSec)} msg/s, worker ${f(run.workerCpuMsPer1k)} CPU-ms/1k, its PostgreSQL backends ${f(run.pgCpuMsPer1k)}, machine ${f(run.machineCpuMsPer1k)}`;
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
