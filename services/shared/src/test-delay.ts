// Test-only (ORDERFLOW_TEST_HANDLER_DELAY_MS): the fault suite's slow consumer and the
// kill-inside-a-transaction e2e test need a real process whose transactions stay open for a
// while. The runtime wraps the consumer's transactions with this only when the knob is set.
import { setTimeout as delay } from 'node:timers/promises';
import type { TransactionRunner } from './consumer';

/** Each transaction waits `ms` after it began (or until `signal` aborts, failing it) before its work. */
export function delayEachTransaction(
  run: TransactionRunner,
  ms: number,
  signal: AbortSignal,
): TransactionRunner {
  return (work) =>
    run(async (tx) => {
      await delay(ms, undefined, { signal });
      return work(tx);
    });
}
