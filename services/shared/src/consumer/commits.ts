// Offset commits off the hot path (rule 5): an offset is resolved only once its transaction has
// committed (or its message is in the DLQ); committing resolved offsets to Kafka then runs in
// the background, one commit at a time, each taking every offset resolved until it starts. A
// batch waits for no commit round trip, and under load many batches share one commit. What is
// resolved but not yet committed when a process dies is redelivered and deduplicated.
import type { Logger } from '../logger';

export interface OffsetCommits {
  /** Commits every resolved offset soon, without waiting; `commit` does it once. */
  request(commit: () => Promise<void>): void;
  /** Resolves once every offset resolved so far was committed (or its commit failed, logged). */
  flush(): Promise<void>;
}

export function offsetCommits(logger: Logger): OffsetCommits {
  let commit: (() => Promise<void>) | undefined;
  let running: Promise<void> | undefined;
  let again = false;

  const loop = async () => {
    do {
      again = false;
      try {
        await commit!();
      } catch (err) {
        // Left resolved: the next commit takes it again; a rebalance or crash redelivers it.
        logger.warn({ err: (err as Error).message }, 'offset commit failed; the next one retries it');
      }
    } while (again);
    running = undefined;
  };
  const start = () => {
    if (running) again = true;
    else running = loop();
    return running;
  };

  return {
    request(next) {
      commit = next;
      void start();
    },
    async flush() {
      if (commit) await start();
    },
  };
}
