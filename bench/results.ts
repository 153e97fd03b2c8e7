// What a run records: per round and pipeline every phase's figures, then the soak. Saved as
// JSON in bench/results/ and summarized by report.ts.
import type { SerdeResult } from './serde';
import type { Correctness } from './correctness';
import type { Percentiles } from './lib/stats';

export interface PipelineRound {
  intake: { ordersPerSec: number; errors: number; latency: Percentiles; cpu: Record<string, number> };
  e2e: Record<
    string,
    {
      rate: number;
      sent: number;
      ok: number;
      errors: number;
      dropped: number;
      /** Orders not terminal by the phase's deadline. */
      late: number;
      http?: Percentiles;
      e2e: Percentiles;
      /** Orders finished per second, first request to last terminal event. */
      throughput: number;
      /** Percent of a core per process, from the first request until every order finished or the deadline. */
      cpu: Record<string, number>;
      /** CPU-ms of the pipeline and the stack per finished order (lib/os.ts platformCpuMsPerOrder). */
      cpuMsPerOrder: number;
    }
  >;
  /** Orders sent one at a time, each after the last one's terminal event: entry → terminal. */
  oneAtATime?: { orders: number; late: number; latency: Percentiles };
  platform: {
    ordersPerSec: number;
    accepted: number;
    intakePerSec: number;
    cpu: Record<string, number>;
    cpuMsPerOrder: number;
  };
  drains: Record<
    string,
    { msgsPerSec: number; cpuMsPer1k: number; machineCpuMsPer1k: number; measured: number }
  >;
  rss: { idle: Record<string, number>; peak: Record<string, number> };
  /** Every accepted order of the round, on the last platform instance and on the abandoned ones. */
  correctness: Correctness;
}

export interface RoundResult {
  index: number;
  warmup: boolean;
  pipelines: Record<string, PipelineRound>;
  serde: SerdeResult;
}

export interface SoakResult {
  /** RSS per service after the first minute and at the end. */
  rss: Record<string, { startMb: number; endMb: number; growthPct: number; peakMb: number }>;
  requests: { sent: number; ok: number; statuses: Record<string, number> };
  correctness: Correctness;
}
