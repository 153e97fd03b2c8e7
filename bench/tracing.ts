// `npm run bench -- --tracing [--quick]`: what tracing costs. Each round runs orderflow twice on
// the same stack and loads: tracing off (the default: no SDK at all) and on (every order
// sampled, spans exported to the stack's Zipkin, started if need be). The table shows each
// metric off and on, and on/off taken within each round, then its median.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSettings } from '../scripts/stack/settings';
import { zipkinUp } from '../scripts/stack/zipkin';
import type { PipelineRound } from './results';
import { orderflowPipeline, type BenchContext, type Pipeline } from './pipelines';
import { cell } from './report';
import { spread } from './lib/stats';

export interface TracingRound {
  off: PipelineRound;
  on: PipelineRound;
}

interface Settings {
  mode: string;
  rounds: number;
  warmup: boolean;
  rates: number[];
  resultsDir: string;
  stamp: string;
  progress(line: string): void;
  /** Runs one pipeline round (Bench.round): intake, platform at each rate and saturated, drains. */
  round(p: Pipeline, index: number, label: string): Promise<PipelineRound>;
}

export async function compareTracing(ctx: BenchContext, s: Settings): Promise<TracingRound[]> {
  const zipkin = await zipkinUp(readSettings(), s.progress);
  const off = orderflowPipeline(ctx);
  const on = orderflowPipeline(ctx, {
    OTEL_TRACES_EXPORTER: 'zipkin',
    OTEL_EXPORTER_ZIPKIN_ENDPOINT: `${zipkin}/api/v2/spans`,
  });
  s.progress(`bench ${s.mode} --tracing: orderflow with tracing off, then on (spans to ${zipkin})`);
  const rounds: TracingRound[] = [];
  const file = join(s.resultsDir, `bench-tracing-${s.mode}-${s.stamp}.json`);
  const total = s.rounds + (s.warmup ? 1 : 0);
  for (let r = 0; r < total; r++) {
    const warmup = s.warmup && r === 0;
    const label = warmup ? 'warm-up' : `round ${r + (s.warmup ? 0 : 1)}/${s.rounds}`;
    // Distinct indexes: a round's prefixes derive from them.
    const round = {
      off: await s.round(off, 2 * r, `${label} tracing off`),
      on: await s.round(on, 2 * r + 1, `${label} tracing on`),
    };
    if (!warmup) rounds.push(round);
    writeFileSync(file, JSON.stringify({ mode: s.mode, zipkin, rounds }, null, 1));
  }
  printTracingTable(rounds, s.rates);
  s.progress(`raw results: ${file}`);
  return rounds;
}

type Pick = (r: PipelineRound) => number | undefined;

function metricsOf(rounds: TracingRound[], rates: number[]): [string, string, Pick][] {
  const drains = [...new Set(rounds.flatMap((r) => Object.keys(r.off.drains)))];
  return [
    ['HTTP intake, closed loop', 'orders/s', (r) => r.intake.ordersPerSec],
    ['HTTP intake p99', 'ms', (r) => r.intake.latency.p99],
    ...rates.flatMap((rate): [string, string, Pick][] => [
      [`end to end p50 @ ${rate}/s`, 'ms', (r) => r.e2e[String(rate)]?.e2e.p50],
      [`end to end p99 @ ${rate}/s`, 'ms', (r) => r.e2e[String(rate)]?.e2e.p99],
    ]),
    ['platform, closed loop', 'orders/s', (r) => r.platform.ordersPerSec],
    ...drains.flatMap((d): [string, string, Pick][] => [
      [`drain ${d}`, 'msg/s', (r) => r.drains[d]?.msgsPerSec],
      [`drain ${d} CPU`, 'CPU-ms/1k', (r) => r.drains[d]?.cpuMsPer1k],
    ]),
  ];
}

export function printTracingTable(rounds: TracingRound[], rates: number[]): void {
  const lines = metricsOf(rounds, rates).map(([metric, unit, pick]) => [
    metric,
    unit,
    cell(spread(rounds.map((r) => pick(r.off) ?? NaN))),
    cell(spread(rounds.map((r) => pick(r.on) ?? NaN))),
    cell(spread(rounds.map((r) => (pick(r.on) ?? NaN) / (pick(r.off) ?? NaN)))),
  ]);
  const header = ['metric', 'unit', 'tracing off', 'tracing on', 'on/off'];
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmtLine = (l: string[]) =>
    l.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ');
  console.log('\nTracing off vs on (every order sampled, exported to Zipkin); medians over the rounds.\n');
  console.log(fmtLine(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const l of lines) console.log(fmtLine(l));
  const correctness = (side: 'off' | 'on') =>
    JSON.stringify(
      rounds.map(({ [side]: r }) => ({
        missing: r.correctness.missing,
        duplicates: r.correctness.duplicates,
      })),
    );
  console.log(`\ncorrectness: off ${correctness('off')}, on ${correctness('on')}`);
}
