import { setTimeout as delay } from 'node:timers/promises';

/** Exponential backoff with jitter: 100 ms, 200 ms, … capped at `maxMs`. */
export function backoffMs(attempt: number, maxMs = 5_000): number {
  const base = Math.min(maxMs, 100 * 2 ** Math.min(attempt, 16));
  return Math.round(base / 2 + Math.random() * (base / 2));
}

/** Waits out a backoff; returns false at once when `signal` aborts (the process is stopping). */
export async function waitBackoff(attempt: number, signal: AbortSignal, maxMs?: number): Promise<boolean> {
  if (signal.aborted) return false;
  try {
    await delay(backoffMs(attempt, maxMs), undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
