// Polling a condition with a deadline, and sampling the memory of running children meanwhile.
import { setTimeout as sleep } from 'node:timers/promises';
import { processRssMb } from './os';
import type { Child } from './procs';

/** True once `probe` holds, false if it still does not after `timeoutMs`. */
export async function waitUntil(
  probe: () => boolean | Promise<boolean>,
  timeoutMs: number,
  intervalMs = 50,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > deadline) return false;
    await sleep(intervalMs);
  }
}

/** Samples the RSS of running children every 250 ms and keeps each one's maximum. */
export function rssSampler(children: () => Child[]) {
  const peak: Record<string, number> = {};
  const sample = () => {
    for (const c of children()) peak[c.name] = Math.max(peak[c.name] ?? 0, processRssMb(c.pid));
  };
  const timer = setInterval(sample, 250);
  return {
    peak,
    stop() {
      sample();
      clearInterval(timer);
    },
  };
}
