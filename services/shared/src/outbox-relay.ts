// The outbox relay publishes committed outbox rows to Kafka (acks=all) and deletes them only
// after the broker acknowledged: a crash between the two publishes again, and consumers drop
// the copy by eventId.
//
// Rows come two ways. Right after a publishing transaction commits, its rows are handed over in
// memory and sent in commit order, then deleted by id: no read of the table, no transaction.
// The table itself is read (in id order, so each key's events keep their order) when the relay
// starts, after any failed pass (a send or the database) until nothing is left, and every second
// for rows older than a grace period that no relay holds in memory: a crashed instance's, or
// ones written outside a publishing transaction.
import type { Span } from '@opentelemetry/api';
import type { Message, RecordMetadata } from 'kafkajs';
import { partitionOf } from './kafka';
import type { Db } from './db';
import type { EventProducer } from './event-producer';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import type { OutboxRow } from './outbox';
import { waitBackoff } from './retry';
import { endSpans, placeAttributes, startPublishSpan, type Tracing } from './tracing';

export interface RelayOptions {
  db: Db;
  producer: Pick<EventProducer, 'sendBatch'>;
  logger: Logger;
  metrics: Metrics;
  tracing: Tracing;
  /** Rows younger than this are left to the relay that wrote them. */
  sweepGraceMs?: number;
}

const BATCH_SIZE = 500;
/** How often the table is swept for rows no relay holds in memory. */
const SWEEP_EVERY_MS = 1_000;
const SWEEP_GRACE_MS = 5_000;

export class OutboxRelay {
  private readonly stopping = new AbortController();
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  /** Why the last publish failed, while the relay is still failing (cleared on success). */
  private failing: Error | undefined;
  /** Committed rows handed over in memory, in commit order. */
  private queue: OutboxRow[] = [];
  /** The table holds rows to publish before any from memory: at start and after a failed pass. */
  private drainTable = true;
  private sweptAt = 0;
  /** The delete of the last rows sent from memory, overlapping the next send. */
  private deleting: Promise<void> = Promise.resolve();

  constructor(private readonly options: RelayOptions) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** Takes rows that were just committed, to publish without reading them back. */
  publish(rows: OutboxRow[]): void {
    if (rows.length === 0) return;
    this.queue.push(...rows);
    this.wake?.();
  }

  /**
   * Publishes what it holds, then stops; safe to call twice. Rejects when it stopped while
   * publishing was failing: rows are left unrelayed (they go out after the restart).
   */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.wake?.();
    await this.loop;
    if (this.failing)
      throw new Error(`outbox rows left unrelayed, publishing failed: ${this.failing.message}`, {
        cause: this.failing,
      });
  }

  /** Publishes one batch, from the table while it must be drained, else from memory; returns how many rows went out. */
  async publishBatch(): Promise<number> {
    if (this.drainTable) {
      this.queue = []; // the table holds them too, and it has them in order
      const sent = await this.publishFromTable();
      if (sent === 0) this.drainTable = false;
      return sent;
    }
    const rows = this.queue.splice(0, BATCH_SIZE);
    if (rows.length === 0) return 0;
    try {
      await this.send(rows);
    } catch (err) {
      this.drainTable = true; // the rows just taken from memory are still in the table
      throw err;
    }
    this.deleteSent(rows);
    return rows.length;
  }

  async refreshBacklogMetrics(): Promise<void> {
    const { rows } = await this.options.db.query<{ n: string; age: number | null }>(
      `SELECT count(*) AS n, extract(epoch FROM now() - min(created_at))::float8 AS age FROM outbox`,
    );
    this.options.metrics.outboxBacklog.set(Number(rows[0]?.n ?? 0));
    this.options.metrics.outboxRelayLag.set(rows[0]?.age ?? 0);
  }

  /**
   * Takes rows from the table (only those older than `olderThanMs` if given) and deletes them in
   * the transaction that sends them. That commit need not wait for the disk: if it is lost, the
   * rows come back and are published again, as after a crash between send and commit. The
   * statement takes no parameters, so BEGIN travels with it (db.ts): two round trips a pass.
   */
  private async publishFromTable(olderThanMs?: number): Promise<number> {
    await this.deleting; // rows already sent from memory are not sent twice
    if (olderThanMs !== undefined && !Number.isFinite(olderThanMs))
      throw new Error(`not a grace period: ${olderThanMs} ms`);
    const old =
      olderThanMs === undefined
        ? ''
        : `WHERE created_at < now() - make_interval(secs => ${olderThanMs / 1000})`;
    return this.options.db.tx(
      async (tx) => {
        const { rows } = await tx.query<OutboxRow>(
          `DELETE FROM outbox WHERE id IN (
             SELECT id FROM outbox ${old} ORDER BY id LIMIT ${BATCH_SIZE} FOR UPDATE SKIP LOCKED)
           RETURNING id, topic, key, value, headers, event_type`,
        );
        if (rows.length > 0) {
          rows.sort((a, b) => Number(a.id) - Number(b.id)); // RETURNING order is not guaranteed
          await this.send(rows);
        }
        return rows.length;
      },
      { durable: false },
    );
  }

  /** Rows sent from memory are deleted while the next batch is sent; one delete at a time. */
  private deleteSent(rows: OutboxRow[]): void {
    const ids = rows.map((r) => r.id);
    this.deleting = this.deleting.then(() =>
      this.options.db.query('DELETE FROM outbox WHERE id = ANY($1::bigint[])', [ids]).then(
        () => undefined,
        // The rows stay; the sweep publishes them again after the grace period, and consumers drop the copies.
        (err: Error) =>
          this.options.logger.warn({ err: err.message }, 'could not delete published outbox rows'),
      ),
    );
  }

  private async send(rows: OutboxRow[]): Promise<void> {
    const { producer, metrics, tracing } = this.options;
    const spans: { span: Span; topic: string; message: Message }[] = [];
    const byTopic = new Map<string, Message[]>();
    for (const row of rows) {
      const message: Message = { key: row.key, value: row.value, headers: row.headers };
      if (tracing.enabled) {
        const event = { type: row.event_type, orderId: row.key }; // every event's key is its orderId
        const publish = startPublishSpan(tracing, row.topic, event, row.headers);
        message.headers = publish.headers;
        spans.push({ span: publish.span, topic: row.topic, message });
      }
      const list = byTopic.get(row.topic) ?? [];
      list.push(message);
      byTopic.set(row.topic, list);
    }
    let acks: RecordMetadata[];
    try {
      acks = await producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
    } catch (err) {
      endSpans(spans, err);
      throw err;
    }
    if (spans.length > 0) placeSpans(spans, acks);
    endSpans(spans);
    for (const row of rows) metrics.eventsProduced.inc({ topic: row.topic, event_type: row.event_type });
  }

  /** Sweeps the table, once a second, for rows no relay holds in memory. */
  private async sweep(): Promise<number> {
    if (Date.now() - this.sweptAt < SWEEP_EVERY_MS) return 0;
    this.sweptAt = Date.now();
    return this.publishFromTable(this.options.sweepGraceMs ?? SWEEP_GRACE_MS);
  }

  private async run(): Promise<void> {
    const { logger } = this.options;
    let failures = 0;
    for (;;) {
      try {
        const sent = (await this.publishBatch()) || (await this.sweep());
        if (failures > 0) logger.info({ failures }, 'outbox relay recovered');
        failures = 0;
        this.failing = undefined;
        if (sent > 0) continue;
      } catch (err) {
        failures++;
        this.failing = err as Error;
        // Whatever failed, the next pass drains the table: a pass that skips it (nothing in
        // memory, the sweep not due) must not count as recovered while the database may still be
        // gone, and the table holds every row not yet published.
        this.drainTable = true;
        logger.warn({ err: (err as Error).message, failures }, 'outbox relay could not publish; will retry');
        if (!(await waitBackoff(failures, this.stopping.signal))) break;
        continue;
      }
      if (this.stopping.signal.aborted) break;
      if (this.queue.length === 0) await this.idle(SWEEP_EVERY_MS);
    }
    await this.deleting;
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }
}

/**
 * Tags each publish span with its message's partition and offset: a partition's messages of one
 * send get consecutive offsets from the base offset Kafka answered, in the order they were sent.
 */
function placeSpans(spans: { span: Span; topic: string; message: Message }[], acks: RecordMetadata[]): void {
  const next = new Map<string, number>();
  for (const ack of acks)
    if (ack.baseOffset !== undefined) next.set(`${ack.topicName}/${ack.partition}`, Number(ack.baseOffset));
  for (const { span, topic, message } of spans) {
    const partition = partitionOf(message);
    const offset = next.get(`${topic}/${partition}`);
    if (partition === undefined || offset === undefined) continue;
    next.set(`${topic}/${partition}`, offset + 1);
    span.setAttributes(placeAttributes(partition, offset));
  }
}
