// The one consumer loop. Its failure rules, in order:
//  1. A message that cannot be decoded (not Avro, unknown schema id, a record type that
//     does not belong on its topic, a payload breaking its JSON Schema) goes to the DLQ
//     at once: retrying cannot fix bytes.
//  2. Handled messages are processed a chunk at a time in ONE PostgreSQL transaction:
//     inbox rows (the dedupe record), the handlers' effects and their outgoing events
//     (outbox) commit together, so a redelivered event changes nothing. The inbox takes one
//     statement per chunk; a batch handler takes a run of same-type events at once, so its
//     effects are a few statements per chunk instead of a few per event. Chunks of
//     partitions handled concurrently are merged into one transaction while another commits.
//  3. A transient failure (database, registry or broker unreachable) retries the chunk with
//     backoff for as long as it lasts; nothing is skipped while infrastructure is down.
//  4. Any other failure re-runs the chunk one message at a time, so one bad message cannot
//     hold the rest back; a message that still fails after MAX_ATTEMPTS goes to the DLQ.
//  5. Offsets are resolved and committed only after the transaction (or DLQ send) that
//     accounts for the message has succeeded. On stop, in-flight work finishes or is
//     abandoned uncommitted — it will be redelivered and deduplicated.
import { setTimeout as delay } from 'node:timers/promises';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { EventCodec } from './codec';
import type { EventPayloads } from './contracts';
import { coalesce, type Db, type Tx } from './db';
import { PoisonMessageError, isTransient, type PoisonReason } from './errors';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import { appendToOutbox, eventMessage, type OutboxMessage } from './outbox';
import { waitBackoff } from './retry';
import { topicOf, type EventName } from './topics';

export const INBOX_DDL = [
  `CREATE TABLE IF NOT EXISTS inbox (
     event_id uuid PRIMARY KEY,
     event_type text NOT NULL,
     topic text NOT NULL,
     partition int NOT NULL,
     "offset" bigint NOT NULL,
     handled_at timestamptz NOT NULL DEFAULT now()
   )`,
];

const MAX_ATTEMPTS = 3;
const CHUNK_SIZE = 500;
/** Partitions handled at once; their chunks share transactions (see handleTogether). */
const PARTITIONS_CONCURRENTLY = 8;
/** Chunks smaller than this are merged with other partitions' into one transaction, at most MERGED_CHUNKS. */
const MERGE_BELOW = 100;
const MERGED_CHUNKS = 8;
/** Headers copied from an event to the events it causes, so one id follows an order everywhere. */
const TRACE_HEADERS = ['x-correlation-id', 'x-origin-ts'];

export interface EventMeta {
  eventId: string;
  topic: string;
  partition: number;
  offset: string;
  headers: Record<string, string>;
}

export interface HandlerContext {
  tx: Tx;
  log: Logger;
  meta: EventMeta;
  /** Queues an event for the outbox; it commits (or not) with this transaction. */
  publish<E extends EventName>(type: E, payload: EventPayloads[E]): void;
}

export type Handler<E extends EventName> = (event: EventPayloads[E], ctx: HandlerContext) => Promise<void>;

export interface BatchItem<E extends EventName> {
  type: E;
  event: EventPayloads[E];
  ctx: HandlerContext;
}

/**
 * Handles a run of fresh (not yet handled) events, in arrival order, inside the chunk's
 * transaction: the same effects as calling a Handler for each in turn, in fewer statements.
 * A run is every consecutive event with the same handler, so one BatchHandler registered for
 * several types sees them all at once (and can lock their rows in one ordered statement).
 * A failure fails the whole chunk, which is then retried event by event.
 */
export interface BatchHandler<E extends EventName> {
  batch(items: BatchItem<E>[], tx: Tx): Promise<void>;
}

export type Handlers = { [E in EventName]?: Handler<E> | BatchHandler<E> };

export interface ConsumerOptions {
  service: string;
  group: string;
  prefix: string;
  kafka: Kafka;
  producer: Producer;
  codec: EventCodec;
  db: Db;
  handlers: Handlers;
  logger: Logger;
  metrics: Metrics;
  /** Called after a transaction that may have written outbox rows commits. */
  onCommitted: () => void;
  /** How long the group waits for a silent member before rebalancing without it (30 s by default). */
  sessionTimeoutMs?: number;
  /** Test-only (fault suite): each chunk's transaction waits this long after claiming its inbox rows. 0/unset: off. */
  testHandlerDelayMs?: number;
}

interface Entry {
  message: KafkaMessage;
  type: EventName;
  payload: { eventId: string; orderId: string };
  meta: EventMeta;
}

export class EventConsumer {
  private readonly consumer: Consumer;
  private readonly stopping = new AbortController();
  private joined = false;
  private readonly dlqTopic: string;
  private readonly handledTypes: EventName[];

  constructor(private readonly options: ConsumerOptions) {
    const { kafka, group, handlers } = options;
    this.dlqTopic = `${group}.dlq`;
    this.handledTypes = Object.keys(handlers) as EventName[];
    this.consumer = kafka.consumer({
      groupId: group,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: Math.min(3_000, Math.floor((options.sessionTimeoutMs ?? 30_000) / 3)),
      allowAutoTopicCreation: false,
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => (this.joined = true));
    this.consumer.on(this.consumer.events.CRASH, () => (this.joined = false));
    this.consumer.on(this.consumer.events.STOP, () => (this.joined = false));
  }

  get topics(): string[] {
    return [...new Set(this.handledTypes.map((t) => topicOf(t, this.options.prefix)))];
  }

  get dlq(): string {
    return this.dlqTopic;
  }

  isReady(): boolean {
    return this.joined;
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.topics, fromBeginning: true });
    await this.consumer.run({
      eachBatchAutoResolve: false,
      autoCommitThreshold: 1,
      partitionsConsumedConcurrently: PARTITIONS_CONCURRENTLY,
      eachBatch: (payload) => this.eachBatch(payload),
    });
  }

  /** Stops fetching, lets the batch in hand finish (or abandons its retries), commits, leaves the group. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.consumer.disconnect();
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = payload;
    const { metrics } = this.options;
    metrics.consumerLag.set(
      { topic: batch.topic, partition: String(batch.partition) },
      Number(batch.offsetLag()),
    );

    let chunk: Entry[] = [];
    let chunkEnd: string | undefined;
    const flush = async () => {
      if (chunk.length > 0) await this.handleChunk(chunk, heartbeat);
      if (chunkEnd !== undefined) {
        resolveOffset(chunkEnd);
        await commitOffsetsIfNecessary();
      }
      chunk = [];
      chunkEnd = undefined;
    };

    for (const message of batch.messages) {
      if (!isRunning() || isStale() || this.stopping.signal.aborted) break;
      const decoded = await this.decode(batch.topic, batch.partition, message, heartbeat);
      if (decoded === 'poison') {
        await flush(); // keep the DLQ in step with the log: nothing after it commits first
        resolveOffset(message.offset);
        await commitOffsetsIfNecessary();
        continue;
      }
      if (decoded) chunk.push(decoded);
      chunkEnd = message.offset;
      if (chunk.length >= CHUNK_SIZE) await flush();
    }
    if (!this.stopping.signal.aborted && !isStale()) await flush();
  }

  /** Decodes a message; sends it to the DLQ when it can never be handled; undefined when this service ignores its type. */
  private async decode(
    topic: string,
    partition: number,
    message: KafkaMessage,
    heartbeat: () => Promise<void>,
  ): Promise<Entry | 'poison' | undefined> {
    const meta: EventMeta = {
      eventId: '',
      topic,
      partition,
      offset: message.offset,
      headers: stringHeaders(message),
    };
    for (let attempt = 1; ; attempt++) {
      try {
        const { codec } = this.options;
        const { type, payload } =
          codec.decodeCached<Entry['payload']>(message.value) ??
          (await codec.decode<Entry['payload']>(message.value));
        if (this.topicOf(type) !== topic) {
          throw new PoisonMessageError('UNKNOWN_RECORD_TYPE', `${type} does not belong on topic ${topic}`);
        }
        if (!this.handledTypes.includes(type)) return undefined;
        return { message, type, payload, meta: { ...meta, eventId: payload.eventId } };
      } catch (err) {
        if (err instanceof PoisonMessageError) {
          await this.deadLetter(message, meta, err.code as PoisonReason, err, heartbeat);
          return 'poison';
        }
        if (!(await this.retryPause('decode', err, attempt, heartbeat)))
          throw new Error('stopping', { cause: err });
      }
    }
  }

  /**
   * Chunks of partitions handled at the same time share one transaction: while one commits,
   * the chunks that arrive meanwhile queue and go together in the next. At moderate load a
   * partition's batch holds a message or two; merged, a transaction holds dozens.
   */
  private readonly handleTogether = coalesce(
    async (chunks: Entry[][]) => {
      await this.handleInTransaction(chunks.flat());
      return chunks.map(() => undefined);
    },
    { maxBatch: MERGED_CHUNKS, maxInFlight: 2 },
  );

  private async handleChunk(chunk: Entry[], heartbeat: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        // A full chunk is batch enough; small ones (moderate load) share a transaction.
        await (chunk.length >= MERGE_BELOW ? this.handleInTransaction(chunk) : this.handleTogether(chunk));
        return;
      } catch (err) {
        if (isTransient(err)) {
          if (!(await this.retryPause(chunk[0]!.type, err, attempt, heartbeat)))
            throw new Error('stopping', { cause: err });
          continue;
        }
        if (chunk.length === 1) return this.handleAlone(chunk[0]!, err, heartbeat);
        this.options.logger.warn(
          { err: (err as Error).message, size: chunk.length },
          'batch failed; handling its messages one by one',
        );
        for (const entry of chunk) await this.handleChunk([entry], heartbeat);
        return;
      }
    }
  }

  /** A single message that failed for a non-transient reason: retry a few times, then dead-letter it. */
  private async handleAlone(
    entry: Entry,
    firstError: unknown,
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    let err = firstError;
    for (let attempt = 1; attempt < MAX_ATTEMPTS || isTransient(err); attempt++) {
      if (!(await this.retryPause(entry.type, err, attempt, heartbeat)))
        throw new Error('stopping', { cause: err });
      try {
        await this.handleInTransaction([entry]);
        return;
      } catch (e) {
        err = e;
      }
    }
    const { metrics } = this.options;
    metrics.handlerFailures.inc({ event_type: entry.type, reason: 'HANDLER_FAILED' });
    await this.deadLetter(entry.message, entry.meta, 'HANDLER_FAILED', err, heartbeat);
  }

  private async handleInTransaction(chunk: Entry[]): Promise<void> {
    const { db, handlers, codec, metrics, logger, prefix, service } = this.options;
    const handled: Entry[] = [];
    await db.tx(async (tx) => {
      const fresh = await claimInbox(tx, chunk);
      if (this.options.testHandlerDelayMs)
        await delay(this.options.testHandlerDelayMs, undefined, { signal: this.stopping.signal });
      const outgoing: OutboxMessage[] = [];
      const seen = new Set<string>();
      const items: { entry: Entry; ctx: HandlerContext }[] = [];
      for (const entry of chunk) {
        const { eventId, orderId } = entry.payload;
        let log: Logger | undefined; // a child logger costs more than handling the event: made on first use
        const ctx: HandlerContext = {
          tx,
          meta: entry.meta,
          get log() {
            return (log ??= logger.child({
              orderId,
              eventId,
              eventType: entry.type,
              topic: entry.meta.topic,
              partition: entry.meta.partition,
              offset: entry.meta.offset,
            }));
          },
          publish: (type, payload) => {
            outgoing.push(
              eventMessage(codec, prefix, type, payload, {
                ...traceHeaders(entry.meta.headers),
                'x-causation-id': eventId,
              }),
            );
          },
        };
        if (!fresh.has(eventId) || seen.has(eventId)) {
          metrics.duplicatesSkipped.inc({ event_type: entry.type });
          ctx.log.info(`${capitalize(service)} skipped duplicate ${entry.type} for orderId ${orderId}`);
          continue;
        }
        seen.add(eventId);
        items.push({ entry, ctx });
      }
      // Runs of consecutive events with the same handler: arrival order holds across runs.
      for (let start = 0; start < items.length;) {
        const handler = handlers[items[start]!.entry.type] as Handler<EventName> | BatchHandler<EventName>;
        let end = start + 1;
        while (end < items.length && handlers[items[end]!.entry.type] === handler) end++;
        const run = items.slice(start, end);
        if (typeof handler === 'function') {
          for (const { entry, ctx } of run) {
            const endTimer = metrics.handlerDuration.startTimer({ event_type: entry.type });
            await handler(entry.payload as unknown as EventPayloads[EventName], ctx);
            endTimer();
          }
        } else {
          const began = performance.now();
          await handler.batch(
            run.map(({ entry, ctx }) => ({
              type: entry.type,
              event: entry.payload as unknown as EventPayloads[EventName],
              ctx,
            })),
            tx,
          );
          const each = (performance.now() - began) / 1000 / run.length;
          for (const { entry } of run) metrics.handlerDuration.observe({ event_type: entry.type }, each);
        }
        for (const { entry } of run) handled.push(entry);
        start = end;
      }
      await appendToOutbox(tx, outgoing);
    });
    const counts = new Map<string, { topic: string; type: EventName; n: number }>();
    for (const { meta, type } of handled) {
      const key = `${meta.topic} ${type}`;
      const count = counts.get(key) ?? { topic: meta.topic, type, n: 0 };
      count.n++;
      counts.set(key, count);
    }
    for (const { topic, type, n } of counts.values())
      metrics.eventsConsumed.inc({ topic, event_type: type }, n);
    this.options.onCommitted();
  }

  private readonly topicByType = new Map<EventName, string>();
  private topicOf(type: EventName): string {
    let topic = this.topicByType.get(type);
    if (topic === undefined) this.topicByType.set(type, (topic = topicOf(type, this.options.prefix)));
    return topic;
  }

  /** Logs a failure and waits before the next attempt; false when the consumer is stopping. */
  private async retryPause(
    what: string,
    err: unknown,
    attempt: number,
    heartbeat: () => Promise<void>,
  ): Promise<boolean> {
    const { metrics, logger } = this.options;
    metrics.retries.inc({ event_type: what });
    logger.warn(
      { err: (err as Error)?.message, attempt, transient: isTransient(err) },
      `${what} failed; retrying`,
    );
    const waited = await waitBackoff(attempt, this.stopping.signal);
    if (waited) await heartbeat().catch(() => undefined); // keep group membership through long outages
    return waited;
  }

  private async deadLetter(
    message: KafkaMessage,
    meta: EventMeta,
    reason: PoisonReason,
    err: unknown,
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    const { producer, metrics, logger, group } = this.options;
    const { key, value } = message;
    const ownHeaders = {
      'x-dlq-reason': reason,
      'x-dlq-error': String((err as Error)?.message ?? err).slice(0, 1000),
      'x-dlq-source-topic': meta.topic,
      'x-dlq-source-partition': String(meta.partition),
      'x-dlq-source-offset': meta.offset,
      'x-dlq-consumer-group': group,
      'x-dlq-failed-at': new Date().toISOString(),
    };
    const headers = { ...meta.headers, ...ownHeaders };
    // A message about as large as the broker takes no longer fits once the DLQ headers are added:
    // then it goes without its value (the source offset still points at it), and if need be
    // without its original headers too, instead of being retried for ever.
    const dropped = { 'x-dlq-value-dropped': `${value?.length ?? 0} bytes: too large for the DLQ` };
    const shapes = [
      { key, value, headers },
      { key, value: null, headers: { ...headers, ...dropped } },
      { key, value: null, headers: { ...ownHeaders, ...dropped } },
    ];
    let shape = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        await producer.send({ topic: this.dlqTopic, acks: -1, messages: [shapes[shape]!] });
        break;
      } catch (sendErr) {
        if (tooLarge(sendErr) && shape < shapes.length - 1) {
          shape++;
          continue;
        }
        if (!(await this.retryPause('dlq', sendErr, attempt, heartbeat)))
          throw new Error('stopping', { cause: sendErr });
      }
    }
    metrics.dlqMessages.inc({ topic: meta.topic, reason });
    logger.warn(
      {
        reason,
        err: headers['x-dlq-error'],
        topic: meta.topic,
        partition: meta.partition,
        offset: meta.offset,
        eventId: meta.eventId || undefined,
        dlq: this.dlqTopic,
      },
      'message sent to the DLQ',
    );
  }
}

/** Inserts inbox rows for a chunk; returns the eventIds seen for the first time. */
async function claimInbox(tx: Tx, chunk: Entry[]): Promise<Set<string>> {
  const { rows } = await tx.query<{ event_id: string }>(
    `INSERT INTO inbox (event_id, event_type, topic, partition, "offset")
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::bigint[])
     ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
    [
      chunk.map((e) => e.payload.eventId),
      chunk.map((e) => e.type),
      chunk.map((e) => e.meta.topic),
      chunk.map((e) => e.meta.partition),
      chunk.map((e) => e.meta.offset),
    ],
  );
  return new Set(rows.map((r) => r.event_id));
}

/** Whether Kafka refused a message (or batch) for its size: sending it again cannot help. */
function tooLarge(err: unknown): boolean {
  for (
    let e = err as { type?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 5;
    e = e.cause as typeof e, depth++
  ) {
    if (e.type === 'MESSAGE_TOO_LARGE' || e.type === 'RECORD_LIST_TOO_LARGE') return true;
  }
  return false;
}

function stringHeaders(message: KafkaMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(message.headers ?? {})) {
    if (v !== undefined) out[k] = Array.isArray(v) ? String(v[0]) : String(v);
  }
  return out;
}

function traceHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    TRACE_HEADERS.filter((h) => headers[h] !== undefined).map((h) => [h, headers[h]!]),
  );
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
