// Summaries: medians with min–max over rounds, and HDR histograms for latency.
import * as hdr from 'hdr-histogram-js';

export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function spread(values: number[]): Spread | undefined {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return { median, min: v[0]!, max: v[v.length - 1]!, n: v.length };
}

/** Latency histogram in microseconds, 1 µs to 10 min, 3 significant digits. */
export function latencyHistogram(): hdr.Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 600_000_000,
    numberOfSignificantValueDigits: 3,
  });
}

export interface Percentiles {
  count: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

/** Percentiles of a µs histogram, in ms. */
export function percentilesMs(h: hdr.Histogram): Percentiles {
  const at = (p: number) => (h.totalCount ? h.getValueAtPercentile(p) / 1000 : NaN);
  return {
    count: h.totalCount,
    p50: at(50),
    p99: at(99),
    p999: at(99.9),
    max: h.totalCount ? h.maxValue / 1000 : NaN,
  };
}
