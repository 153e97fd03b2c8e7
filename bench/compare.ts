// `npm run bench -- --compare NAME=VALUE[,…] [--quick]`: orderflow as configured beside orderflow
// with those environment variables, e.g. `--compare KAFKA_FETCH_LINGER_MS=0`. `--tracing` is the
// same with tracing on (every order sampled, spans exported to the stack's Zipkin, started if
// need be) against off, the default. Each round runs both on the same stack and loads, one after
// the other; the table shows each metric for both and their ratio taken within each round, then
// its median.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSettings } from '../scripts/stack/settings';
import { zipkinUp } from '../scripts/stack/zipkin';
import type { PipelineRound } from './results';
import { orderflowPipeline, type BenchContext, type Pipeline } from './pipelines';
import { cell } from './report';
import { spread } from './lib/stats';

export interface CompareRound {
  base: PipelineRound;
  variant: PipelineRound;
}

/** What runs beside orderflow as configured. */
export interface Variant {
  /** Short, for file names and column headers. */
  name: string;
  describe: string;
  env: Record<string, string>;
  /** Column headers: orderflow as configured, the variant, their ratio. */
  columns: [string, string, string];
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

export async function tracingVariant(progress: (line: string) => void): Promise<Variant> {
  const zipkin = await zipkinUp(readSettings(), progress);
  return {
    name: 'tracing',
    describe: `tracing on (every order sampled, spans to ${zipkin}) vs off`,
    env: { OTEL_TRACES_EXPORTER: 'zipkin', OTEL_EXPORTER_ZIPKIN_ENDPOINT: `${zipkin}/api/v2/spans` },
    columns: ['tracing off', 'tracing on', 'on/off'],
  };
}

export function settingsVariant(settings: Record<string, string>): Variant {
  const pairs = Object.entries(settings).map(([k, v]) => `${k}=${v}`);
  const name = pairs.join(',');
  return {
    name,
    describe: `${pairs.join(' ')} vs as configured`,
    env: settings,
    columns: ['as configured', name, 'ratio'],
  };
}

export async function compareVariant(
  ctx: BenchContext,
  s: Settings,
  variant: Variant,
): Promise<CompareRound[]> {
  const base = orderflowPipeline(ctx);
  const other = orderflowPipeline(ctx, variant.env);
  s.progress(`bench ${s.mode} --compare: orderflow ${variant.describe}`);
  const rounds: CompareRound[] = [];
  const file = join(s.resultsDir, `bench-compare-${s.mode}-${s.stamp}.json`);
  const total = s.rounds + (s.warmup ? 1 : 0);
  for (let r = 0; r < total; r++) {
    const warmup = s.warmup && r === 0;
    const label = warmup ? 'warm-up' : `round ${r + (s.warmup ? 0 : 1)}/${s.rounds}`;
    // Distinct indexes: a round's prefixes derive from them.
    const round = {
      base: await s.round(base, 2 * r, `${label} as configured`),
      variant: await s.round(other, 2 * r + 1, `${label} ${variant.name}`),
    };
    if (!warmup) rounds.push(round);
    writeFileSync(file, JSON.stringify({ mode: s.mode, variant, rounds }, null, 1));
  }
  printCompareTable(rounds, s.rates, variant);
  s.progress(`raw results: ${file}`);
  return rounds;
}

type Pick = (r: PipelineRound) => number | undefined;

function metricsOf(rounds: CompareRound[], rates: number[]): [string, string, Pick][] {
  const drains = [...new Set(rounds.flatMap((r) => Object.keys(r.base.drains)))];
  return [
    ['HTTP intake, closed loop', 'orders/s', (r) => r.intake.ordersPerSec],
    ['HTTP intake p99', 'ms', (r) => r.intake.latency.p99],
    ...rates.flatMap((rate): [string, string, Pick][] => [
      [`end to end p50 @ ${rate}/s`, 'ms', (r) => r.e2e[String(rate)]?.e2e.p50],
      [`end to end p99 @ ${rate}/s`, 'ms', (r) => r.e2e[String(rate)]?.e2e.p99],
      [`CPU per order @ ${rate}/s (pipeline + stack)`, 'CPU-ms', (r) => r.e2e[String(rate)]?.cpuMsPerOrder],
      [`orders' CPU @ ${rate}/s`, '% of a core', (r) => r.e2e[String(rate)]?.cpu['orderflow.orders']],
    ]),
    ['one order at a time p50', 'ms', (r) => r.oneAtATime?.latency.p50],
    ['platform, closed loop', 'orders/s', (r) => r.platform.ordersPerSec],
    ['CPU per order, closed loop', 'CPU-ms', (r) => r.platform.cpuMsPerOrder],
    ...drains.flatMap((d): [string, string, Pick][] => [
      [`drain ${d}`, 'msg/s', (r) => r.drains[d]?.msgsPerSec],
      [`drain ${d} CPU`, 'CPU-ms/1k', (r) => r.drains[d]?.cpuMsPer1k],
    ]),
  ];
}

export function printCompareTable(rounds: CompareRound[], rates: number[], variant: Variant): void {
  const lines = metricsOf(rounds, rates).map(([metric, unit, pick]) => [
    metric,
    unit,
    cell(spread(rounds.map((r) => pick(r.base) ?? NaN))),
    cell(spread(rounds.map((r) => pick(r.variant) ?? NaN))),
    cell(spread(rounds.map((r) => (pick(r.variant) ?? NaN) / (pick(r.base) ?? NaN)))),
  ]);
  const header = ['metric', 'unit', ...variant.columns];
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmtLine = (l: string[]) =>
    l.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ');
  console.log(`\norderflow ${variant.describe}; medians over the rounds.\n`);
  console.log(fmtLine(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const l of lines) console.log(fmtLine(l));
  const correctness = (side: 'base' | 'variant') =>
    JSON.stringify(
      rounds.map(({ [side]: r }) => ({
        missing: r.correctness.missing,
        duplicates: r.correctness.duplicates,
      })),
    );
  console.log(
    `\ncorrectness: ${variant.columns[0]} ${correctness('base')}, ${variant.columns[1]} ${correctness('variant')}`,
  );
}
