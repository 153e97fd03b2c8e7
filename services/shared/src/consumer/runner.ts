// The runner: walks one partition's batch in chunks, and resolves an offset only once
// everything up to it has committed or gone to the DLQ (rule 5); commits.ts commits it. A
// message whose schema cannot be fetched ends the walk there, and its partition alone waits
// (hold.ts). It wires the other parts from the seams in types.ts, so unit tests run it over fake batches.
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { EventName } from '../topics';
import { endSpans, type Tracing } from '../tracing';
import { decoder } from './decode';
import { offsetCommits } from './commits';
import { dispatcher } from './dispatch';
import { deadLetters } from './dlq';
import { partitionHolds } from './hold';
import { createPause, retryPolicy } from './retry';
import type {
  Backoff,
  Codec,
  Entry,
  Handlers,
  InboxStore,
  MessageSender,
  OutboxWriter,
  PartitionBatch,
  TransactionRunner,
} from './types';

const CHUNK_SIZE = 500;
/** A healthy registry answers a schema lookup well within this; beyond it only the partition waits. */
const LOOKUP_WAIT_MS = 250;

export interface RunnerOptions {
  service: string;
  group: string;
  prefix: string;
  handlers: Handlers;
  codec: Codec;
  transaction: TransactionRunner;
  inbox: InboxStore;
  outbox: OutboxWriter;
  /** Where dead letters go. */
  sender: MessageSender;
  backoff: Backoff;
  /** Aborted when the consumer stops: retries give up and the batch in hand is left uncommitted. */
  signal: AbortSignal;
  logger: Logger;
  metrics: Metrics;
  /** The service's tracing: a span per handled message when on. */
  tracing: Tracing;
  /** How long a batch waits for a schema lookup before its partition is held instead (250 ms). */
  lookupWaitMs?: number;
}

export function createRunner(options: RunnerOptions) {
  const { signal, logger, metrics } = options;
  const pause = createPause({ backoff: options.backoff, signal, logger, metrics });
  const dlq = deadLetters({ group: options.group, sender: options.sender, pause, logger, metrics });
  const decode = decoder({
    group: options.group,
    codec: options.codec,
    prefix: options.prefix,
    handledTypes: Object.keys(options.handlers) as EventName[],
    deadLetters: dlq,
    tracing: options.tracing,
    lookupWaitMs: options.lookupWaitMs ?? LOOKUP_WAIT_MS,
  });
  const holds = partitionHolds({ backoff: options.backoff, signal, logger, metrics });
  const handleChunk = retryPolicy({ ...dispatcher(options), deadLetters: dlq, pause, logger, metrics });

  const commits = offsetCommits(logger);

  const consume = async function consume(batch: PartitionBatch): Promise<void> {
    const { heartbeat, commitResolved, isRunning, isStale } = batch;
    // Resolved once accounted for; committed in the background, so no batch waits for Kafka.
    const resolveOffset = (offset: string) => {
      batch.resolveOffset(offset);
      commits.request(commitResolved);
    };
    let chunk: Entry[] = [];
    let chunkEnd: string | undefined;
    const flush = async () => {
      if (chunk.length > 0) {
        try {
          await handleChunk(chunk, heartbeat);
        } catch (err) {
          endSpans(chunk, err);
          throw err;
        }
        endSpans(chunk); // each message committed or was dead-lettered
      }
      if (chunkEnd !== undefined) resolveOffset(chunkEnd);
      chunk = [];
      chunkEnd = undefined;
    };

    try {
      for (const message of batch.messages) {
        if (!isRunning() || isStale() || signal.aborted) break;
        const decoded = await decode(batch.topic, batch.partition, message, heartbeat);
        if (decoded === 'poison') {
          await flush(); // keep the DLQ in step with the log: nothing after it commits first
          resolveOffset(message.offset);
          continue;
        }
        if (decoded && 'unavailable' in decoded) {
          // Held here: the chunk before it still commits below, nothing from here on does.
          holds.hold(batch, message.offset, decoded.cause, decoded.lookup);
          break;
        }
        if (decoded) chunk.push(decoded);
        chunkEnd = message.offset;
        if (chunk.length >= CHUNK_SIZE) await flush();
      }
      if (!signal.aborted && !isStale()) await flush();
      else endSpans(chunk); // abandoned uncommitted: redelivered, and traced again, later
    } finally {
      // Stopping: what is resolved is committed before the group is left.
      if (signal.aborted || !isRunning()) await commits.flush();
    }
  };
  /** Commits every offset resolved so far; the consumer calls it before it leaves the group. */
  return Object.assign(consume, { flushCommits: commits.flush });
}
