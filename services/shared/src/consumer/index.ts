// The one consumer loop. Its failure rules, in order:
//  1. A message that cannot be decoded (not Avro, unknown schema id, a record type that
//     does not belong on its topic, a payload breaking its JSON Schema) goes to the DLQ
//     at once: retrying cannot fix bytes.
//  2. Handled messages are processed a chunk at a time in ONE PostgreSQL transaction:
//     inbox rows (the dedupe record), the handlers' effects and their outgoing events
//     (outbox) commit together, so a redelivered event changes nothing. The inbox takes one
//     statement per chunk, sent with BEGIN, and the outbox one, sent with COMMIT (db.ts),
//     so a chunk costs its handlers' statements plus two round trips; a batch handler takes
//     a run of same-type events at once, so its effects are a few statements per chunk
//     instead of a few per event. Chunks of partitions handled concurrently are merged into
//     one transaction while another commits.
//  3. A transient failure (database, registry or broker unreachable) retries the chunk with
//     backoff for as long as it lasts; nothing is skipped while infrastructure is down. A
//     message whose writer schema cannot be fetched is not waited for inside the batch: its
//     partition alone is paused from that message and resumed after the backoff, so the
//     consumer's other partitions go on meanwhile.
//  4. Any other failure re-runs the chunk one message at a time, so one bad message cannot
//     hold the rest back; a message that still fails after MAX_ATTEMPTS goes to the DLQ.
//  5. Offsets are resolved, and so committed, only after the transaction (or DLQ send) that
//     accounts for the message has succeeded; commits run in the background, one at a time,
//     so no batch waits for one. On stop, in-flight work finishes or is abandoned
//     uncommitted — it will be redelivered and deduplicated — and what is resolved is
//     committed before the group is left.
// Where each rule lives: 1 decode.ts and dlq.ts; 2 dispatch.ts and inbox.ts; 3 and 4 retry.ts
// (a held partition: hold.ts); 5 runner.ts and commits.ts. This file joins the runner to
// kafkajs: group membership, subscription, stop.
import type { Consumer, Kafka } from 'kafkajs';
import type { EventProducer } from '../event-producer';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { waitBackoff } from '../retry';
import { topicOf, type EventName } from '../topics';
import type { Tracing } from '../tracing';
import { postgresInbox } from './inbox';
import { createRunner } from './runner';
import type { Codec, Handlers, OutboxWriter, TransactionRunner } from './types';

export { MAX_ATTEMPTS } from './retry';
export type * from './types';

/**
 * Partitions handled at once; their small chunks share transactions (see dispatch.ts). The bench's
 * ceiling uses it too.
 */
export const PARTITIONS_CONCURRENTLY = 8;

export interface ConsumerOptions {
  service: string;
  group: string;
  prefix: string;
  kafka: Kafka;
  /** Sends dead letters. */
  producer: Pick<EventProducer, 'send'>;
  codec: Codec;
  /** Runs each chunk's transaction; the runtime's publishes its outbox rows once it commits. */
  transaction: TransactionRunner;
  outbox: OutboxWriter;
  handlers: Handlers;
  logger: Logger;
  metrics: Metrics;
  tracing: Tracing;
  /** How long the group waits for a silent member before rebalancing without it (30 s by default). */
  sessionTimeoutMs?: number;
  /**
   * How long the broker may hold a fetch to gather more events (0: answer as soon as one waits).
   * A raw consumer pays per fetch, not per event (npm run bench:trickle): at 1,000 events/s a
   * 5 ms linger halves its CPU; for orderflow's services it did not pay (docs/benchmarks.md).
   */
  fetchLingerMs?: number;
}

export class EventConsumer {
  private readonly consumer: Consumer;
  private readonly stopping = new AbortController();
  private joined = false;
  private flushCommits: (() => Promise<void>) | undefined;
  readonly topics: string[];

  constructor(private readonly options: ConsumerOptions) {
    const { kafka, group, handlers, prefix, sessionTimeoutMs = 30_000, fetchLingerMs = 0 } = options;
    this.topics = [...new Set((Object.keys(handlers) as EventName[]).map((t) => topicOf(t, prefix)))];
    this.consumer = kafka.consumer({
      groupId: group,
      sessionTimeout: sessionTimeoutMs,
      heartbeatInterval: Math.min(3_000, Math.floor(sessionTimeoutMs / 3)),
      allowAutoTopicCreation: false,
      // A stop waits for the fetch in flight; an idle fetch returns after this long (kafkajs: 5 s),
      // so a healthy drain stays far inside SHUTDOWN_TIMEOUT_MS. Data still returns at once.
      maxWaitTimeInMs: 1_000,
      // Lingering: the broker answers when 64 KiB wait or after the linger, whichever is first.
      ...(fetchLingerMs > 0 && { minBytes: 65_536, maxWaitTimeInMs: fetchLingerMs }),
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => (this.joined = true));
    this.consumer.on(this.consumer.events.CRASH, () => (this.joined = false));
    this.consumer.on(this.consumer.events.STOP, () => (this.joined = false));
  }

  isReady(): boolean {
    return this.joined;
  }

  async start(): Promise<void> {
    const { producer, metrics } = this.options;
    const consume = createRunner({
      ...this.options,
      inbox: postgresInbox,
      sender: {
        async send(topic, message) {
          await producer.send(topic, [message]);
        },
      },
      backoff: waitBackoff,
      signal: this.stopping.signal,
    });
    this.flushCommits = consume.flushCommits;
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.topics, fromBeginning: true });
    await this.consumer.run({
      eachBatchAutoResolve: false,
      // kafkajs would commit after every batch, waiting for it: the runner commits instead,
      // in the background (commits.ts), and on stop before the group is left.
      autoCommit: false,
      partitionsConsumedConcurrently: PARTITIONS_CONCURRENTLY,
      eachBatch: async (payload) => {
        const { batch } = payload;
        metrics.consumerLag.set(
          { topic: batch.topic, partition: String(batch.partition) },
          Number(batch.offsetLag()),
        );
        await consume({
          ...payload,
          topic: batch.topic,
          partition: batch.partition,
          messages: batch.messages,
          commitResolved: () => payload.commitOffsetsIfNecessary(payload.uncommittedOffsets()),
        });
      },
    });
  }

  /** Stops fetching, lets the batch in hand finish (or abandons its retries), commits, leaves the group. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.flushCommits?.();
    await this.consumer.disconnect();
  }
}
