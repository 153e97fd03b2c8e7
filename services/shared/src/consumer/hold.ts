// Holding one partition (rule 3, for decoding): a message whose writer schema cannot be fetched
// (the registry is unreachable, or slow to answer) stops its partition's batch there, and only
// that partition is paused; it is resumed once a lookup still running has found the schema, or
// after a backoff. kafkajs fetches a batch's partitions together and the
// next batches only once all in hand are done, so waiting inside the batch, as a chunk's retry
// does, would hold up every partition the consumer reads; a paused partition is left out of
// the fetches instead, and the others flow. Nothing at or past the held message is resolved,
// and kafkajs (2.2.4, autoCommit off) fetches a partition from its last resolved offset + 1
// (offsetManager.nextOffset), so after the resume the held message is fetched again: no seek,
// nothing skipped. On stop the backoff's timer is cleared and the partition stays paused: the
// consumer is leaving the group, and whoever takes the partition starts at its committed offset.
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { noteRetry } from './retry';
import type { Backoff, PartitionBatch } from './types';

export interface PartitionHolds {
  /**
   * Pauses the batch's partition, held at `offset` because of `err`, and resumes it after a
   * backoff, or as soon as `lookup` (a lookup still running) has found the schema.
   */
  hold(batch: PartitionBatch, offset: string, err: unknown, lookup?: Promise<boolean>): void;
}

export function partitionHolds(deps: {
  backoff: Backoff;
  signal: AbortSignal;
  logger: Logger;
  metrics: Metrics;
}): PartitionHolds {
  const { backoff, signal, logger, metrics } = deps;
  // Per partition, the offset it is held at and how often: the backoff grows while the same
  // message stays unreadable, and starts over for the next one.
  const held = new Map<string, { offset: string; attempt: number }>();

  return {
    hold(batch, offset, err, lookup) {
      const { topic, partition } = batch;
      const key = `${topic}|${partition}`;
      const last = held.get(key);
      const attempt = last?.offset === offset ? last.attempt + 1 : 1;
      held.set(key, { offset, attempt });
      noteRetry(logger, metrics, 'decode', err, attempt, { topic, partition, offset });
      const resume = batch.pause();
      void (async () => {
        const found = (await lookup) === true;
        const waited = found
          ? !signal.aborted
          : // a backoff that fails must not leave the partition paused
            await backoff(attempt, signal).catch(() => !signal.aborted);
        if (waited) resume();
      })();
    },
  };
}
