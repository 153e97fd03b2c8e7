// Ten minutes of orderflow at a steady open-loop rate: RSS per service after the first minute
// and at the end, and whether every order finished exactly once.
import { CONFIG } from '../config';
import { correctnessOf } from '../correctness';
import { finishedInState } from './correctness';
import { watchTerminal } from './instances';
import type { Harness } from '../harness';
import { openLoop } from '../lib/load';
import { processRssMb } from '../lib/os';
import { rssSampler, waitUntil } from '../lib/wait';
import { nextRequest } from '../orders';
import type { Pipeline } from '../pipelines';
import { fmt, progress } from '../progress';
import type { SoakResult } from '../results';

export async function soakPhase(h: Harness, p: Pipeline): Promise<SoakResult> {
  const prefix = `b${h.runTag}soak-`;
  await p.prepare(prefix);
  const watcher = await watchTerminal(h, p, prefix);
  const [intake, workers] = await Promise.all([p.startIntake(prefix), p.startWorkers(prefix)]);
  const children = h.track([intake, ...workers]);
  const sampler = rssSampler(() => children);
  const start: Record<string, number> = {};
  const accepted: string[] = [];
  const requests: SoakResult['requests'] = { sent: 0, ok: 0, statuses: {} };
  try {
    const slice = 30_000;
    const slices = Math.ceil(CONFIG.soakMs / slice);
    for (let i = 0; i < slices; i++) {
      const load = await openLoop(intake.url!, nextRequest, CONFIG.soakRate, slice);
      for (const o of load.accepted) accepted.push(o); // no spread: a closed loop can accept 100k+
      requests.sent += load.sent;
      requests.ok += load.ok;
      for (const [status, n] of Object.entries(load.statuses))
        requests.statuses[status] = (requests.statuses[status] ?? 0) + n;
      if (i === 1) for (const c of children) start[c.name] = processRssMb(c.pid); // after a minute of warm-up
      progress(
        `soak ${((i + 1) * slice) / 1000}s: ${load.ok} ok, RSS ${children.map((c) => `${c.name.replace('orderflow.', '')} ${fmt(processRssMb(c.pid))}`).join(', ')} MB`,
      );
    }
    await waitUntil(() => watcher.missing(accepted) === 0, CONFIG.terminalWaitMs, 200);
    const rss: SoakResult['rss'] = {};
    for (const c of children) {
      const endMb = processRssMb(c.pid);
      rss[c.name] = {
        startMb: start[c.name]!,
        endMb,
        growthPct: (endMb / start[c.name]! - 1) * 100,
        peakMb: sampler.peak[c.name] ?? endMb,
      };
    }
    const correctness = correctnessOf([
      {
        accepted,
        overdue: new Set(),
        seen: watcher.seen,
        finishedInState: await finishedInState(p, prefix, accepted),
        abandoned: false,
      },
    ]);
    progress(
      `soak: ${accepted.length} orders, ${correctness.missing} not terminal, ${correctness.duplicates} duplicates; ${JSON.stringify(rss)}`,
    );
    return { rss, requests, correctness };
  } finally {
    sampler.stop();
    await Promise.all(children.map((c) => c.stop()));
    await watcher.stop();
    await p.cleanup(prefix);
  }
}
