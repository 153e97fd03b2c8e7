// A whole bench run: checks the stack is on this machine, mints customer tokens, runs the
// rounds (or the tracing comparison) and the soak, saves raw results, prints the summary and
// draws the chart. Returns what failed: an order lost, doubled or not finished in orderflow's
// own state, in any round or in the soak.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { PARTITIONS_CONCURRENTLY, STACK_VERSIONS, TOPIC_DEFAULTS } from '@orderflow/shared';
import { ensureBuilt } from '../scripts/build';
import { COMPARE, CONFIG, QUICK, SOAK, TRACING } from './config';
import { failuresOf } from './correctness';
import { Harness } from './harness';
import { benchStack, mintCustomerTokens } from './lib/local-stack';
import { ceilingPipeline, orderflowPipeline, peerPipeline, type BenchContext } from './pipelines';
import { fmt, progress } from './progress';
import { printTable, summarize, writeChart } from './report';
import type { RoundResult, SoakResult } from './results';
import { pipelineRound } from './round';
import { soakPhase } from './phases/soak';
import { SerdeBench, type SerdeResult } from './serde';
import { compareVariant, settingsVariant, tracingVariant } from './compare';

/** Pipelines whose orders must each finish exactly once (the peer, a typical demo, promises nothing). */
const CHECKED = ['ceiling', 'orderflow'];

export async function runBench(): Promise<string[]> {
  ensureBuilt(); // orderflow's services run compiled, as in production
  const { env: stack, kafka, pool, issuer } = await benchStack('orderflow-bench');
  await mintCustomerTokens(issuer);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const resultsDir = join(__dirname, 'results');
  const logDir = join(resultsDir, `logs-${stamp}`);
  mkdirSync(logDir, { recursive: true });
  const serde = new SerdeBench(stack.SCHEMA_REGISTRY_URL, `b${randomBytes(2).toString('hex')}serde-`);
  await serde.setup();
  const probe = await serde.run(50);
  const ctx: BenchContext = {
    stack,
    kafka,
    logDir,
    sql: async (text, params) => (await pool.query(text, params)).rows,
    payloadBytes: probe.bytes.codec,
  };
  const pgVersion = ((await pool.query('SHOW server_version')).rows[0] as { server_version: string })
    .server_version;
  const machine = {
    cores: cpus().length,
    cpu: cpus()[0]?.model,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    kafka: STACK_VERSIONS.kafka,
    postgres: pgVersion.split(' ')[0],
    registry: `Apicurio ${STACK_VERSIONS.apicurioRegistry}`,
    kafkajs: (
      JSON.parse(readFileSync(join(__dirname, '..', 'node_modules', 'kafkajs', 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version,
    partitions: TOPIC_DEFAULTS.partitions,
    partitionsConsumedConcurrently: PARTITIONS_CONCURRENTLY,
  };
  progress(
    `bench ${CONFIG.mode}: ${CONFIG.warmup ? 'warm-up + ' : ''}${CONFIG.rounds} rounds × ${TRACING || COMPARE ? 'orderflow as configured and a variant' : 'ceiling, peer, orderflow'} on ${machine.cores} cores; logs in ${logDir}`,
  );

  const h = new Harness(ctx, kafka);
  if (TRACING || COMPARE) {
    try {
      const variant = TRACING ? await tracingVariant(progress) : settingsVariant(COMPARE!);
      const rounds = await compareVariant(
        ctx,
        {
          ...CONFIG,
          resultsDir,
          stamp,
          progress,
          round: (p, index, label) => pipelineRound(h, p, index, label),
        },
        variant,
      );
      return rounds.flatMap((r, i) => [
        ...failuresOf(`round ${i + 1} as configured`, r.base.correctness),
        ...failuresOf(`round ${i + 1} ${variant.name}`, r.variant.correctness),
      ]);
    } finally {
      await pool.end();
    }
  }
  const file = join(resultsDir, `bench-${CONFIG.mode}-${stamp}.json`);
  const pipelines = [ceilingPipeline(ctx), peerPipeline(ctx), orderflowPipeline(ctx)];
  const rounds: RoundResult[] = [];
  const total = CONFIG.rounds + (CONFIG.warmup ? 1 : 0);
  let soak: SoakResult | { error: string } | undefined;
  try {
    for (let r = 0; r < total; r++) {
      const warmup = CONFIG.warmup && r === 0;
      const round: RoundResult = {
        index: r,
        warmup,
        pipelines: {},
        serde: undefined as unknown as SerdeResult,
      };
      for (const p of pipelines) {
        const label = `${warmup ? 'warm-up' : `round ${r + (CONFIG.warmup ? 0 : 1)}/${CONFIG.rounds}`} ${p.name}`;
        round.pipelines[p.name] = await pipelineRound(h, p, r, label);
      }
      round.serde = await serde.run(CONFIG.serdeMs);
      const o = round.serde.opsPerSec;
      progress(
        `serde: codec encode ${fmt(o['codec.encode'])}/s vs JSON ${fmt(o['json.encode'])}/s; decode ${fmt(o['codec.decode'])}/s vs JSON ${fmt(o['json.decode'])}/s; ${round.serde.bytes.codec} vs ${round.serde.bytes.json} bytes; ${round.serde.registryCallsAfterWarmup} registry calls`,
      );
      rounds.push(round);
      writeFileSync(file, JSON.stringify({ config: CONFIG, machine, rounds }, null, 1)); // nothing lost if a later round fails
    }
    // The rounds are saved before the soak, so a failing soak loses nothing else.
    writeFileSync(file, JSON.stringify({ config: CONFIG, machine, rounds }, null, 1));
    if (SOAK) {
      soak = await soakPhase(h, pipelines[2]!).catch((e: unknown) => {
        progress(`soak failed: ${(e as Error).message}`);
        return { error: (e as Error).message };
      });
    }
  } finally {
    await pool.end();
  }

  const summary = summarize(
    rounds.filter((r) => !r.warmup),
    CONFIG.rates,
  );
  printTable(summary, soak);
  writeFileSync(file, JSON.stringify({ config: CONFIG, machine, rounds, summary, soak }, null, 1));
  // A quick run's chart stays with its results; the full run's goes to docs/.
  const chart = QUICK
    ? join(resultsDir, `bench-quick-${stamp}.svg`)
    : join(__dirname, '..', 'docs', 'bench-results.svg');
  writeChart(chart, summary, machine, CONFIG.rates);
  progress(`raw results: ${file}; chart: ${chart}`);
  return [
    ...CHECKED.flatMap((name) =>
      summary.correctness[name] ? failuresOf(name, summary.correctness[name]) : [],
    ),
    ...(soak === undefined
      ? []
      : 'error' in soak
        ? [`soak: ${soak.error}`]
        : failuresOf('soak', soak.correctness)),
  ];
}
