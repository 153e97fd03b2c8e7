// Test-only knobs over the consumer's transactions, wrapped in only when set.
// ORDERFLOW_TEST_HANDLER_DELAY_MS: the fault suite's slow consumer and the kill-inside-a-transaction
// e2e test need a real process whose transactions stay open for a while.
// ORDERFLOW_TEST_CRASH_ON_SIGUSR2: the fault suite's kill -9 mid-batch lands at the one moment that
// certainly leaves work to redeliver, between a chunk's commit and its offsets' commit.
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

/** Once SIGUSR2 has arrived, SIGKILLs the process as soon as the next transaction has committed. */
export function crashAfterCommitOnSigusr2(run: TransactionRunner): TransactionRunner {
  let armed = false;
  process.once('SIGUSR2', () => (armed = true));
  return async (work) => {
    const result = await run(work);
    if (armed) process.kill(process.pid, 'SIGKILL');
    return result;
  };
}
