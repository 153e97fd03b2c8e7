// One order at a time, each sent when the last one reached its terminal event: what a user
// feels when the platform is not queueing.
import { CONFIG } from '../config';
import { sendOne } from '../drive';
import { latencyHistogram, percentilesMs } from '../lib/stats';
import { fmt, progress } from '../progress';
import type { PlatformPhase } from './instances';

const DEADLINE_MS = 10_000;

export const oneAtATimePhase: PlatformPhase = async (h, p, instances, result, label) => {
  const { watcher, intake, prefix, accepted, overdue } = await instances.up();
  const alone = latencyHistogram();
  let lateAlone = 0;
  for (let i = 0; i < CONFIG.oneAtATime; i++) {
    const start = performance.now();
    const orderId = await sendOne(h, p, prefix, intake);
    accepted.push(orderId);
    const at = await watcher.arrivalOf(orderId, DEADLINE_MS);
    if (at === undefined) {
      lateAlone++;
      overdue.add(orderId);
    } else alone.recordValue(Math.max(1, Math.round((at - start) * 1000)));
  }
  result.oneAtATime = { orders: CONFIG.oneAtATime, late: lateAlone, latency: percentilesMs(alone) };
  progress(
    `${label}: one order at a time: p50 ${fmt(result.oneAtATime.latency.p50, 1)} p99 ${fmt(result.oneAtATime.latency.p99, 1)} ms over ${CONFIG.oneAtATime} orders (${lateAlone} not terminal within ${DEADLINE_MS / 1000} s)`,
  );
};
