// The retry policy (rules 3 and 4 in index.ts): a transient failure retries the chunk for as
// long as it lasts; any other failure re-runs the chunk one message at a time, and a message
// that still fails after MAX_ATTEMPTS goes to the DLQ.
import { isTransient, StoppingError } from '../errors';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { DeadLetters } from './dlq';
import type { Backoff, Entry } from './types';

export const MAX_ATTEMPTS = 3;

/** Logs a failure and waits before the next attempt; false when the consumer is stopping. */
export type Pause = (
  what: string,
  err: unknown,
  attempt: number,
  heartbeat: () => Promise<void>,
) => Promise<boolean>;

export function createPause(deps: {
  backoff: Backoff;
  signal: AbortSignal;
  logger: Logger;
  metrics: Metrics;
}): Pause {
  const { backoff, signal, logger, metrics } = deps;
  return async (what, err, attempt, heartbeat) => {
    noteRetry(logger, metrics, what, err, attempt);
    const waited = await backoff(attempt, signal);
    if (waited) await heartbeat().catch(() => undefined); // keep group membership through long outages
    return waited;
  };
}

/** Counts and logs a retry about to be waited for; `context` says where (topic, partition, offset). */
export function noteRetry(
  logger: Logger,
  metrics: Metrics,
  what: string,
  err: unknown,
  attempt: number,
  context: object = {},
): void {
  metrics.retries.inc({ event_type: what });
  logger.warn(
    { err: (err as Error)?.message, attempt, transient: isTransient(err), ...context },
    `${what} failed; retrying`,
  );
}

/** Thrown when the consumer stops while a message is still unaccounted for: nothing past it commits. */
export function stopping(cause: unknown): StoppingError {
  return new StoppingError('stopping', { cause });
}

export interface RetryDeps {
  /** Handles a chunk in one transaction (merged with other partitions' when small). */
  handle: (chunk: Entry[]) => Promise<void>;
  /** Handles one message in a transaction of its own. */
  handleAlone: (entry: Entry) => Promise<void>;
  deadLetters: DeadLetters;
  pause: Pause;
  logger: Logger;
  metrics: Metrics;
}

/** Handles a chunk until every message in it has committed or gone to the DLQ. */
export function retryPolicy(
  deps: RetryDeps,
): (chunk: Entry[], heartbeat: () => Promise<void>) => Promise<void> {
  const { handle, handleAlone, deadLetters, pause, logger, metrics } = deps;

  const handleChunk = async (chunk: Entry[], heartbeat: () => Promise<void>): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        await handle(chunk);
        return;
      } catch (err) {
        if (isTransient(err)) {
          if (!(await pause(chunk[0]!.type, err, attempt, heartbeat))) throw stopping(err);
          continue;
        }
        if (chunk.length === 1) return retryAlone(chunk[0]!, err, heartbeat);
        logger.warn(
          { err: (err as Error).message, size: chunk.length },
          'batch failed; handling its messages one by one',
        );
        for (const entry of chunk) await handleChunk([entry], heartbeat);
        return;
      }
    }
  };

  /** A single message that failed for a non-transient reason: retry a few times, then dead-letter it. */
  const retryAlone = async (
    entry: Entry,
    firstError: unknown,
    heartbeat: () => Promise<void>,
  ): Promise<void> => {
    let err = firstError;
    for (let attempt = 1; attempt < MAX_ATTEMPTS || isTransient(err); attempt++) {
      if (!(await pause(entry.type, err, attempt, heartbeat))) throw stopping(err);
      try {
        await handleAlone(entry);
        return;
      } catch (e) {
        err = e;
      }
    }
    metrics.handlerFailures.inc({ event_type: entry.type, reason: 'HANDLER_FAILED' });
    await deadLetters.send(entry.message, entry.meta, 'HANDLER_FAILED', err, heartbeat, entry.span);
  };

  return handleChunk;
}
