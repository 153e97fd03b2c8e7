// Turns rounds into medians and ratios (each ratio taken within a round, then its median),
// prints the table, and draws the chart as an SVG.
import { writeFileSync } from 'node:fs';
import type { Correctness } from './correctness';
import type { RoundResult, SoakResult } from './results';
import type { PipelineName } from './pipelines';
import { spread, type Spread } from './lib/stats';

const PIPELINES: PipelineName[] = ['ceiling', 'peer', 'orderflow'];

export interface Row {
  section: string;
  metric: string;
  unit: string;
  values: Partial<Record<PipelineName, Spread>>;
  vsPeer?: Spread;
  vsCeiling?: Spread;
  target?: string;
}

export interface Summary {
  rows: Row[];
  /** Summed over the measured rounds; `notFinishedInState` is `accepted - finishedInState`. */
  correctness: Record<string, Correctness & { notFinishedInState?: number }>;
  chart: {
    e2e: Record<string, Record<PipelineName, [number, number, number] | undefined>>;
    http: Record<string, Partial<Record<PipelineName, [number, number, number]>>>;
    throughput: Record<string, Partial<Record<PipelineName, number>>>;
  };
}

type Pick = (r: RoundResult, p: PipelineName) => number | undefined;

export function summarize(rounds: RoundResult[], rates: number[]): Summary {
  const rows: Row[] = [];
  const ratio = (pick: Pick, a: PipelineName, b: PipelineName) =>
    spread(rounds.map((r) => (pick(r, a) ?? NaN) / (pick(r, b) ?? NaN)));
  const add = (
    section: string,
    metric: string,
    unit: string,
    pick: Pick,
    opts: { target?: string; ratios?: boolean; only?: PipelineName[] } = {},
  ) => {
    const values: Row['values'] = {};
    for (const p of opts.only ?? PIPELINES) {
      const s = spread(rounds.map((r) => pick(r, p) ?? NaN));
      if (s) values[p] = s;
    }
    rows.push({
      section,
      metric,
      unit,
      values,
      vsPeer: opts.ratios === false ? undefined : ratio(pick, 'orderflow', 'peer'),
      vsCeiling: opts.ratios === false ? undefined : ratio(pick, 'orderflow', 'ceiling'),
      target: opts.target,
    });
  };
  const pr = (r: RoundResult, p: PipelineName) => r.pipelines[p];

  // Serde: the ceiling column is raw avsc, the peer column JSON, ours the codec.
  const serde =
    (op: string): Pick =>
    (r, p) =>
      r.serde.opsPerSec[`${p === 'orderflow' ? 'codec' : p === 'peer' ? 'json' : 'avsc'}.${op}`];
  add('serde', 'encode (codec / JSON / raw avsc)', 'ops/s', serde('encode'), {
    target: 'ours/ceiling ≥ 0.8',
  });
  add('serde', 'decode (codec / JSON / raw avsc)', 'ops/s', serde('decode'), {
    target: 'ours/ceiling ≥ 0.8',
  });
  add(
    'serde',
    'JSON Schema validation alone',
    'ops/s',
    (r, p) => (p === 'orderflow' ? r.serde.opsPerSec.validate : undefined),
    { ratios: false, only: ['orderflow'] },
  );
  add(
    'serde',
    'bytes per OrderCreated',
    'B',
    (r, p) => r.serde.bytes[p === 'orderflow' ? 'codec' : p === 'peer' ? 'json' : 'avro'],
    { target: 'ours/peer ≤ 0.5' },
  );
  add(
    'serde',
    'registry calls after warm-up',
    'calls',
    (r, p) => (p === 'orderflow' ? r.serde.registryCallsAfterWarmup : undefined),
    { ratios: false, only: ['orderflow'], target: '0' },
  );

  add(
    'intake',
    'HTTP intake, closed loop (ceiling = Koa doing nothing)',
    'orders/s',
    (r, p) => pr(r, p)?.intake.ordersPerSec,
    { target: 'ours/ceiling ≥ 0.3' },
  );
  add('intake', 'HTTP p99 at saturation', 'ms', (r, p) => pr(r, p)?.intake.latency.p99);

  for (const rate of rates) {
    const e = (r: RoundResult, p: PipelineName) => pr(r, p)?.e2e[String(rate)];
    add(`${rate}/s`, `HTTP p50 @${rate}/s (open loop)`, 'ms', (r, p) => e(r, p)?.http?.p50, {
      only: ['peer', 'orderflow'],
    });
    add(`${rate}/s`, `HTTP p99 @${rate}/s`, 'ms', (r, p) => e(r, p)?.http?.p99, {
      only: ['peer', 'orderflow'],
    });
    add(`${rate}/s`, `end-to-end p50 @${rate}/s`, 'ms', (r, p) => e(r, p)?.e2e.p50, {
      target: rate === 250 ? 'ours ≤ 25 ms' : undefined,
    });
    add(`${rate}/s`, `end-to-end p99 @${rate}/s`, 'ms', (r, p) => e(r, p)?.e2e.p99, {
      target: rate === 250 ? 'ours ≤ 100 ms, ≤ 2× the raw chain' : undefined,
    });
    add(`${rate}/s`, `end-to-end p99.9 @${rate}/s`, 'ms', (r, p) => e(r, p)?.e2e.p999);
    add(
      `${rate}/s`,
      `orders finished per second @${rate}/s offered`,
      'orders/s',
      (r, p) => e(r, p)?.throughput,
    );
    add(
      `${rate}/s`,
      `CPU per order @${rate}/s (pipeline + stack)`,
      'CPU-ms',
      (r, p) => e(r, p)?.cpuMsPerOrder,
    );
  }

  add(
    'alone',
    'one order at a time p50 (entry → terminal event)',
    'ms',
    (r, p) => pr(r, p)?.oneAtATime?.latency.p50,
    {
      target: 'ours ≤ 50 ms',
    },
  );
  add('alone', 'one order at a time p99', 'ms', (r, p) => pr(r, p)?.oneAtATime?.latency.p99);

  add(
    'platform',
    'orders through every worker, closed loop (ceiling = raw 4-hop chain)',
    'orders/s',
    (r, p) => pr(r, p)?.platform.ordersPerSec,
    { target: 'ours ≥ 2,000, ours/ceiling ≥ 0.15' },
  );
  add(
    'platform',
    'CPU per order, closed loop (pipeline + stack)',
    'CPU-ms',
    (r, p) => pr(r, p)?.platform.cpuMsPerOrder,
  );

  // Worker drains: the ceiling column is the faster of its two forwarding loops.
  const ceilingForward = (r: RoundResult) =>
    Math.max(
      pr(r, 'ceiling')?.drains['relay-message']?.msgsPerSec ?? 0,
      pr(r, 'ceiling')?.drains['relay-batch']?.msgsPerSec ?? 0,
    ) || undefined;
  const ceilingForwardCpu = (r: RoundResult) => {
    const d = pr(r, 'ceiling')?.drains;
    if (!d) return undefined;
    const best =
      (d['relay-batch']?.msgsPerSec ?? 0) >= (d['relay-message']?.msgsPerSec ?? 0)
        ? d['relay-batch']
        : d['relay-message'];
    return best;
  };
  const workers = [...new Set(rounds.flatMap((r) => Object.keys(pr(r, 'orderflow')?.drains ?? {})))];
  for (const w of workers) {
    add(
      'workers',
      `drain ${w} (ceiling = raw forward)`,
      'msg/s',
      (r, p) => (p === 'ceiling' ? ceilingForward(r) : pr(r, p)?.drains[w]?.msgsPerSec),
      { target: 'ours/ceiling ≥ 0.4' },
    );
  }
  add(
    'workers',
    'ceiling consume-only drain',
    'msg/s',
    (r, p) => (p === 'ceiling' ? pr(r, p)?.drains['consume-only']?.msgsPerSec : undefined),
    { ratios: false, only: ['ceiling'] },
  );
  if (workers.length > 0) {
    const first = workers[0]!;
    rows.push({
      section: 'workers',
      metric: `${first}: ours / ceiling consume-only`,
      unit: 'ratio',
      values: {},
      vsCeiling: spread(
        rounds.map(
          (r) =>
            (pr(r, 'orderflow')?.drains[first]?.msgsPerSec ?? NaN) /
            (pr(r, 'ceiling')?.drains['consume-only']?.msgsPerSec ?? NaN),
        ),
      ),
    });
  }
  for (const w of workers) {
    add(
      'cpu',
      `worker CPU per 1,000 msgs: ${w}`,
      'CPU-ms',
      (r, p) => (p === 'ceiling' ? ceilingForwardCpu(r)?.cpuMsPer1k : pr(r, p)?.drains[w]?.cpuMsPer1k),
      { target: 'ours/peer ≤ 0.3' },
    );
    add('cpu', `machine CPU per 1,000 msgs: ${w}`, 'CPU-ms', (r, p) =>
      p === 'ceiling' ? ceilingForwardCpu(r)?.machineCpuMsPer1k : pr(r, p)?.drains[w]?.machineCpuMsPer1k,
    );
  }

  const services = [...new Set(rounds.flatMap((r) => Object.keys(pr(r, 'orderflow')?.rss.peak ?? {})))];
  for (const s of services) {
    add('memory', `RSS idle ${s}`, 'MB', (r, p) => (p === 'orderflow' ? pr(r, p)?.rss.idle[s] : undefined), {
      ratios: false,
      only: ['orderflow'],
    });
    add('memory', `RSS peak ${s}`, 'MB', (r, p) => (p === 'orderflow' ? pr(r, p)?.rss.peak[s] : undefined), {
      ratios: false,
      only: ['orderflow'],
      target: '≤ 150 MB',
    });
  }
  add(
    'memory',
    'RSS peak, largest process',
    'MB',
    (r, p) => Math.max(0, ...Object.values(pr(r, p)?.rss.peak ?? {})) || undefined,
    { ratios: false },
  );
  add(
    'correctness',
    "orders late: terminal only after their phase's deadline",
    'orders',
    (r, p) => pr(r, p)?.correctness.late,
    { ratios: false },
  );

  const correctness: Summary['correctness'] = {};
  for (const p of PIPELINES) {
    const all = rounds.map((r) => pr(r, p)?.correctness).filter((c) => c !== undefined);
    const sum = (pick: (c: Correctness) => number) => all.reduce((s, c) => s + pick(c), 0);
    const inState = all.some((c) => c.finishedInState !== undefined);
    correctness[p] = {
      accepted: sum((c) => c.accepted),
      missing: sum((c) => c.missing),
      duplicates: sum((c) => c.duplicates),
      late: sum((c) => c.late),
      abandoned: sum((c) => c.abandoned),
      finishedInState: inState ? sum((c) => c.finishedInState ?? c.accepted) : undefined,
      notFinishedInState: inState ? sum((c) => c.accepted - (c.finishedInState ?? c.accepted)) : undefined,
    };
  }

  const med = (values: number[]) => spread(values)?.median ?? NaN;
  const chart: Summary['chart'] = { e2e: {}, http: {}, throughput: {} };
  for (const rate of rates) {
    chart.e2e[String(rate)] = {} as Record<PipelineName, [number, number, number]>;
    chart.http[String(rate)] = {};
    for (const p of PIPELINES) {
      const e = rounds.map((r) => pr(r, p)?.e2e[String(rate)]);
      chart.e2e[String(rate)]![p] = [
        med(e.map((x) => x?.e2e.p50 ?? NaN)),
        med(e.map((x) => x?.e2e.p99 ?? NaN)),
        med(e.map((x) => x?.e2e.p999 ?? NaN)),
      ];
      if (p !== 'ceiling')
        chart.http[String(rate)]![p] = [
          med(e.map((x) => x?.http?.p50 ?? NaN)),
          med(e.map((x) => x?.http?.p99 ?? NaN)),
          med(e.map((x) => x?.http?.p999 ?? NaN)),
        ];
    }
  }
  const through = (name: string, pick: Pick) => {
    chart.throughput[name] = {};
    for (const p of PIPELINES) chart.throughput[name]![p] = med(rounds.map((r) => pick(r, p) ?? NaN));
  };
  through('HTTP intake (orders/s)', (r, p) => pr(r, p)?.intake.ordersPerSec);
  through('platform (orders/s)', (r, p) => pr(r, p)?.platform.ordersPerSec);
  if (workers[0])
    through(`${workers[0]} drain (msg/s)`, (r, p) =>
      p === 'ceiling' ? ceilingForward(r) : pr(r, p)?.drains[workers[0]!]?.msgsPerSec,
    );
  return { rows, correctness, chart };
}

function num(n: number): string {
  if (!Number.isFinite(n)) return '–';
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

export function cell(s: Spread | undefined): string {
  if (!s) return '';
  return s.n > 1 ? `${num(s.median)} (${num(s.min)}–${num(s.max)})` : num(s.median);
}

export function printTable(summary: Summary, soak?: SoakResult | { error: string }): void {
  const header = ['metric', 'unit', 'ceiling', 'peer', 'orderflow', 'ours/peer', 'ours/ceiling', 'target'];
  const lines = summary.rows.map((r) => [
    r.metric,
    r.unit,
    cell(r.values.ceiling),
    cell(r.values.peer),
    cell(r.values.orderflow),
    cell(r.vsPeer),
    cell(r.vsCeiling),
    r.target ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmtLine = (l: string[]) =>
    l.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ');
  console.log(
    '\nMedians over the measured rounds (min–max); ratios are taken within each round, then their median.\n',
  );
  console.log(fmtLine(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const l of lines) console.log(fmtLine(l));
  console.log('\ncorrectness (all measured rounds): ' + JSON.stringify(summary.correctness));
  if (soak) console.log('soak: ' + JSON.stringify(soak));
}

/** Markdown version of the table, for docs/benchmarks.md. */
export function markdownTable(summary: Summary): string {
  const out = [
    '| metric | unit | ceiling | peer | orderflow | ours/peer | ours/ceiling | target |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of summary.rows)
    out.push(
      `| ${r.metric} | ${r.unit} | ${cell(r.values.ceiling)} | ${cell(r.values.peer)} | ${cell(r.values.orderflow)} | ${cell(r.vsPeer)} | ${cell(r.vsCeiling)} | ${r.target ?? ''} |`,
    );
  return out.join('\n');
}

// ---------------------------------------------------------------------------- chart

const COLORS: Record<PipelineName, string> = { ceiling: '#9aa5b1', peer: '#e07a5f', orderflow: '#3d5a80' };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
}

/** Grouped bars on a log scale: one group per label, one bar per pipeline. */
function panel(
  x: number,
  y: number,
  w: number,
  h: number,
  title: string,
  unit: string,
  groups: { label: string; values: Partial<Record<PipelineName, number>> }[],
): string {
  const all = groups
    .flatMap((g) => Object.values(g.values))
    .filter((v): v is number => v !== undefined && Number.isFinite(v) && v > 0);
  if (all.length === 0) return '';
  const lo = 10 ** Math.floor(Math.log10(Math.min(...all)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...all)));
  const top = y + 30;
  const bottom = y + h - 30;
  const left = x + 55;
  const scale = (v: number) =>
    bottom - ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (bottom - top);
  const parts = [
    `<text x="${x + w / 2}" y="${y + 16}" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  for (let t = lo; t <= hi * 1.0001; t *= 10) {
    parts.push(`<line x1="${left}" x2="${x + w - 10}" y1="${scale(t)}" y2="${scale(t)}" stroke="#ddd"/>`);
    parts.push(
      `<text x="${left - 5}" y="${scale(t) + 4}" text-anchor="end" font-size="10">${t >= 1000 ? `${t / 1000}k` : t}</text>`,
    );
  }
  parts.push(
    `<text x="${x + 12}" y="${(top + bottom) / 2}" font-size="11" transform="rotate(-90 ${x + 12} ${(top + bottom) / 2})" text-anchor="middle">${esc(unit)} (log)</text>`,
  );
  const groupW = (x + w - 10 - left) / groups.length;
  const barW = Math.min(28, (groupW - 16) / PIPELINES.length);
  groups.forEach((g, gi) => {
    const gx = left + gi * groupW + (groupW - barW * PIPELINES.length) / 2;
    PIPELINES.forEach((p, pi) => {
      const v = g.values[p];
      if (v === undefined || !Number.isFinite(v) || v <= 0) return;
      const bx = gx + pi * barW;
      parts.push(
        `<rect x="${bx}" y="${scale(v)}" width="${barW - 2}" height="${bottom - scale(v)}" fill="${COLORS[p]}"><title>${p}: ${num(v)} ${esc(unit)}</title></rect>`,
      );
      parts.push(
        `<text x="${bx + (barW - 2) / 2}" y="${scale(v) - 3}" text-anchor="middle" font-size="9">${num(v)}</text>`,
      );
    });
    parts.push(
      `<text x="${left + gi * groupW + groupW / 2}" y="${bottom + 16}" text-anchor="middle" font-size="11">${esc(g.label)}</text>`,
    );
  });
  parts.push(`<line x1="${left}" x2="${x + w - 10}" y1="${bottom}" y2="${bottom}" stroke="#333"/>`);
  return parts.join('\n');
}

export function writeChart(
  file: string,
  summary: Summary,
  machine: Record<string, unknown>,
  rates: number[],
): void {
  const W = 1000;
  const panels: string[] = [];
  let y = 40;
  const H = 260;
  for (const rate of rates) {
    const e = summary.chart.e2e[String(rate)]!;
    const h = summary.chart.http[String(rate)]!;
    const pick = (src: Partial<Record<PipelineName, [number, number, number] | undefined>>, i: number) =>
      Object.fromEntries(PIPELINES.map((p) => [p, src[p]?.[i]])) as Partial<Record<PipelineName, number>>;
    panels.push(
      panel(
        0,
        y,
        W / 2,
        H,
        `End-to-end latency at ${rate} orders/s (intake → last event)`,
        'ms',
        ['p50', 'p99', 'p99.9'].map((label, i) => ({ label, values: pick(e, i) })),
      ),
    );
    panels.push(
      panel(
        W / 2,
        y,
        W / 2,
        H,
        `HTTP latency at ${rate} orders/s (open loop)`,
        'ms',
        ['p50', 'p99', 'p99.9'].map((label, i) => ({ label, values: pick(h, i) })),
      ),
    );
    y += H;
  }
  panels.push(
    panel(
      0,
      y,
      W,
      H,
      'Throughput (medians)',
      'per second',
      Object.entries(summary.chart.throughput).map(([label, values]) => ({ label, values })),
    ),
  );
  y += H;
  const legend = PIPELINES.map(
    (p, i) =>
      `<rect x="${20 + i * 140}" y="12" width="12" height="12" fill="${COLORS[p]}"/><text x="${36 + i * 140}" y="22" font-size="12">${p}</text>`,
  ).join('');
  const note = `<text x="${W - 10}" y="22" font-size="11" text-anchor="end">${esc(`${machine.cores} cores · Node ${machine.node} · Kafka ${machine.kafka} · PostgreSQL ${machine.postgres} · kafkajs ${machine.kafkajs}`)}</text>`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y + 10}" viewBox="0 0 ${W} ${y + 10}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${legend}${note}\n${panels.join('\n')}\n</svg>\n`;
  writeFileSync(file, svg);
}
