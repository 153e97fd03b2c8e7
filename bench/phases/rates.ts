// Open-loop rates under capacity: HTTP and end-to-end latency, and orders finished per second.
import { CONFIG } from '../config';
import { drive } from '../drive';
import { cpuBreakdown, platformCpuMsPerOrder } from '../lib/os';
import { percentilesMs } from '../lib/stats';
import { fmt, progress } from '../progress';
import type { PlatformPhase } from './instances';

export const ratesPhase: PlatformPhase = async (h, p, instances, result, label) => {
  for (const rate of CONFIG.rates) {
    const { watcher, intake, prefix, accepted } = await instances.up();
    watcher.resetLatency();
    const before = h.snapshot();
    const t0 = Date.now();
    const load = await drive(h, p, prefix, intake, rate, CONFIG.e2eMs);
    for (const o of load.accepted) accepted.push(o); // no spread: a closed loop can accept 100k+
    const httpLatency = intake ? percentilesMs(load.latency) : undefined;
    const arrivalsFrom = watcher.arrivals.length;
    const pending = await instances.settle(load.accepted, CONFIG.e2eMs);
    const wallMs = Date.now() - t0;
    const cpu = cpuBreakdown(before, h.snapshot(), wallMs);
    if (pending > 0) await instances.abandon();
    let last = t0 + 1;
    for (let i = arrivalsFrom; i < watcher.arrivals.length; i++) last = Math.max(last, watcher.arrivals[i]!);
    // Orders finished per second, from the first request to the last terminal event.
    const throughput = (load.accepted.length - pending) / ((last - t0) / 1000);
    // Orders still in flight at the deadline count with what they have waited so far (a lower bound).
    const now = Date.now();
    load.accepted.forEach(
      (o, i) => watcher.seen.has(o) || watcher.latency.recordValue((now - load.acceptedAt[i]!) * 1000),
    );
    const e2e = percentilesMs(watcher.latency);
    result.e2e[String(rate)] = {
      rate,
      sent: load.sent,
      ok: load.ok,
      errors: load.errors,
      dropped: load.dropped,
      late: pending,
      http: httpLatency,
      e2e,
      throughput,
      cpu,
      cpuMsPerOrder: platformCpuMsPerOrder(cpu, wallMs, load.accepted.length - pending),
    };
    const http = httpLatency
      ? ` http p50 ${fmt(httpLatency.p50, 1)} p99 ${fmt(httpLatency.p99, 1)} ms ·`
      : '';
    progress(
      `${label}: ${rate}/s:${http} e2e p50 ${fmt(e2e.p50, 1)} p99 ${fmt(e2e.p99, 1)} p99.9 ${fmt(e2e.p999, 1)} ms, ${fmt(throughput)} orders/s finished, ${fmt(result.e2e[String(rate)]!.cpuMsPerOrder, 2)} CPU-ms per order (${load.ok} ok, ${load.errors} errors, ${pending} not terminal in time)`,
    );
  }
};
