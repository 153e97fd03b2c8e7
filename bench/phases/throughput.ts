// Every process of the pipeline under a closed loop: orders/s through every worker, as orders
// that reached the terminal event ÷ time from the first request to the last terminal event.
import { CONFIG } from '../config';
import { drive } from '../drive';
import { cpuBreakdown, platformCpuMsPerOrder } from '../lib/os';
import { fmt, progress } from '../progress';
import type { PlatformPhase } from './instances';

export const throughputPhase: PlatformPhase = async (h, p, instances, result, label) => {
  const { watcher, intake, prefix, accepted } = await instances.up();
  const before = h.snapshot();
  const t0 = Date.now();
  const load = await drive(h, p, prefix, intake, 'max', CONFIG.platMs);
  for (const o of load.accepted) accepted.push(o); // no spread: a closed loop can accept 100k+
  const arrivalsFrom = watcher.arrivals.length;
  // Overdue orders are recorded; the instance stays up for the correctness check.
  await instances.settle(load.accepted, CONFIG.platMs);
  let done = t0 + 1;
  for (let i = arrivalsFrom; i < watcher.arrivals.length; i++) done = Math.max(done, watcher.arrivals[i]!);
  const cpu = cpuBreakdown(before, h.snapshot(), done - t0);
  const delivered = load.accepted.length - watcher.missing(load.accepted);
  result.platform = {
    ordersPerSec: delivered / ((done - t0) / 1000),
    accepted: load.accepted.length,
    intakePerSec: load.ok / (load.durationMs / 1000),
    cpu,
    cpuMsPerOrder: platformCpuMsPerOrder(cpu, done - t0, delivered),
  };
  progress(
    `${label}: platform ${fmt(result.platform.ordersPerSec)} orders/s through every worker (${delivered} of ${load.accepted.length} orders, intake ${fmt(result.platform.intakePerSec)}/s, ${fmt(result.platform.cpuMsPerOrder, 2)} CPU-ms per order) cpu ${JSON.stringify(cpu)}`,
  );
};
