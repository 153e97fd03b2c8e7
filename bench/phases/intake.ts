// HTTP intake alone, saturated by a closed loop: orders/s, latency, CPU of every process.
import { setTimeout as sleep } from 'node:timers/promises';
import { CONFIG } from '../config';
import type { Harness } from '../harness';
import { closedLoop } from '../lib/load';
import { cpuBreakdown, processRssMb } from '../lib/os';
import { percentilesMs } from '../lib/stats';
import { rssSampler } from '../lib/wait';
import { nextRequest } from '../orders';
import type { Pipeline } from '../pipelines';
import { fmt, progress } from '../progress';
import type { PipelineRound } from '../results';

export async function intakePhase(
  h: Harness,
  p: Pipeline,
  prefix: string,
  result: PipelineRound,
  label: string,
  prefixes: string[],
): Promise<void> {
  prefixes.push(prefix);
  await p.prepare(prefix);
  const [intake] = h.track([await p.startIntake(prefix)]);
  try {
    await sleep(1_000);
    result.rss.idle[intake!.name] = processRssMb(intake!.pid);
    const sampler = rssSampler(() => [intake!]);
    const before = h.snapshot();
    const load = await closedLoop(intake!.url!, nextRequest, CONFIG.satConcurrency, CONFIG.satMs);
    const cpu = cpuBreakdown(before, h.snapshot(), load.durationMs);
    sampler.stop();
    Object.assign(result.rss.peak, sampler.peak);
    result.intake = {
      ordersPerSec: load.ok / (load.durationMs / 1000),
      errors: load.errors,
      latency: percentilesMs(load.latency),
      cpu,
    };
    progress(
      `${label}: intake ${fmt(result.intake.ordersPerSec)}/s (p99 ${fmt(result.intake.latency.p99, 1)} ms, ${load.errors} errors) cpu ${JSON.stringify(cpu)}`,
    );
  } finally {
    await intake!.stop();
  }
}
