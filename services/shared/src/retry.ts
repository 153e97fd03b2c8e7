import { setTimeout as delay } from 'node:timers/promises';

const MAX_BACKOFF_MS = 5_000;

/** Exponential backoff with jitter: 100 ms, 200 ms, … capped at MAX_BACKOFF_MS. */
export function backoffMs(attempt: number): number {
  const base = Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(attempt, 16));
  return Math.round(base / 2 + Math.random() * (base / 2));
}

/** Waits out a backoff; returns false at once when `signal` aborts (the process is stopping). */
export async function waitBackoff(attempt: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  try {
    await delay(backoffMs(attempt), undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
