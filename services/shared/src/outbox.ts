// Transactional outbox: an event is written in the same transaction as the state change
// that caused it, and the relay publishes committed rows to Kafka, deleting them in the
// same database transaction only after the broker acknowledged (acks=all). A crash between
// the two re-publishes; consumers deduplicate by eventId. A row's headers hold the W3C trace
// context of whoever wrote it (tracing/propagation.ts), so its publish span joins that trace.
import type { Span } from '@opentelemetry/api';
import type { IHeaders } from 'kafkajs';
import type { EventCodec } from './codec';
import type { EventPayloads } from './contracts';
import { topicOf, type EventName } from './topics';
import { queryAtCommit, type Db, type Tx } from './db';
import { byteaLiteral, jsonbLiteral, textLiteral, uuidLiteral } from './sql-literals';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import type { EventProducer } from './event-producer';
import { waitBackoff } from './retry';
import { endSpans, startPublishSpan, type Tracing } from './tracing';

export interface OutboxMessage {
  topic: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
  eventType: string;
  eventId: string;
}

/** Encodes an event (validating it against its contract) into an outbox row keyed by orderId. */
export function eventMessage<E extends EventName>(
  codec: Pick<EventCodec, 'encode'>,
  prefix: string,
  type: E,
  payload: EventPayloads[E],
  headers: Record<string, string>,
): OutboxMessage {
  const { eventId, orderId } = payload as unknown as { eventId: string; orderId: string };
  return {
    topic: topicOf(type, prefix),
    key: orderId,
    value: codec.encode(type, payload),
    headers: { ...headers, 'x-event-type': type, 'x-event-id': eventId },
    eventType: type,
    eventId,
  };
}

/**
 * Writes outbox rows in one statement, sent with the transaction's COMMIT (db.ts queryAtCommit):
 * no round trip of its own. A row that cannot be written fails the commit, and so the transaction.
 */
export async function appendToOutbox(tx: Tx, messages: OutboxMessage[]): Promise<void> {
  if (messages.length === 0) return;
  const rows = messages.map(
    (m) =>
      `(${textLiteral(m.topic)}, ${textLiteral(m.key)}, ${byteaLiteral(m.value)}, ` +
      `${jsonbLiteral(m.headers)}, ${textLiteral(m.eventType)}, ${uuidLiteral(m.eventId)})`,
  );
  await queryAtCommit(
    tx,
    `INSERT INTO outbox (topic, key, value, headers, event_type, event_id) VALUES ${rows.join(', ')}`,
  );
}

/**
 * Runs transactions whose outbox rows the relay publishes right after the commit: the one way
 * the runtime, and routes through `AppContext.transaction`, write events.
 */
export function publishingTransactions(db: Pick<Db, 'tx'>, relay: Pick<OutboxRelay, 'kick'>) {
  return async <T>(work: (tx: Tx) => Promise<T>): Promise<T> => {
    const result = await db.tx(work);
    relay.kick();
    return result;
  };
}

interface OutboxRow {
  id: string;
  topic: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
  event_type: string;
}

export interface RelayOptions {
  db: Db;
  producer: Pick<EventProducer, 'sendBatch'>;
  logger: Logger;
  metrics: Metrics;
  tracing: Tracing;
}

const BATCH_SIZE = 500;
/** How long to wait for a kick before looking again; the backstop for rows written elsewhere. */
const IDLE_MS = 1_000;

export class OutboxRelay {
  private readonly stopping = new AbortController();
  private wake: (() => void) | undefined;
  private pendingKick = false;
  private loop: Promise<void> | undefined;
  /** Why the last publish failed, while the relay is still failing (cleared on success). */
  private failing: Error | undefined;

  constructor(private readonly options: RelayOptions) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** Tells the relay that rows were just committed, so it publishes without waiting. */
  kick(): void {
    this.pendingKick = true;
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

  /** Publishes one batch; returns how many rows went out. */
  async publishBatch(): Promise<number> {
    const { db, producer, metrics, tracing } = this.options;
    // Rows are deleted only once Kafka acknowledged them. This commit need not wait for the
    // disk: if it is lost, the rows come back and are published again, as after a crash
    // between send and commit, and consumers drop the copies by eventId.
    const sent = await db.tx(
      async (tx) => {
        const { rows } = await tx.query<OutboxRow>(
          `DELETE FROM outbox WHERE id IN (
           SELECT id FROM outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
         RETURNING id, topic, key, value, headers, event_type`,
          [BATCH_SIZE],
        );
        if (rows.length === 0) return rows;
        rows.sort((a, b) => Number(a.id) - Number(b.id)); // RETURNING order is not guaranteed
        const spans: { span: Span }[] = [];
        const byTopic = new Map<string, { key: string; value: Buffer; headers: IHeaders }[]>();
        for (const row of rows) {
          let headers = row.headers;
          if (tracing.enabled) {
            const event = { type: row.event_type, orderId: row.key }; // every event's key is its orderId
            const publish = startPublishSpan(tracing, row.topic, event, headers);
            spans.push(publish);
            headers = publish.headers;
          }
          const list = byTopic.get(row.topic) ?? [];
          list.push({ key: row.key, value: row.value, headers });
          byTopic.set(row.topic, list);
        }
        try {
          await producer.sendBatch({
            acks: -1,
            topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
          });
        } catch (err) {
          endSpans(spans, err);
          throw err;
        }
        endSpans(spans);
        return rows;
      },
      { durable: false },
    );
    for (const row of sent) metrics.eventsProduced.inc({ topic: row.topic, event_type: row.event_type });
    return sent.length;
  }

  async refreshBacklogMetrics(): Promise<void> {
    const { rows } = await this.options.db.query<{ n: string; age: number | null }>(
      `SELECT count(*) AS n, extract(epoch FROM now() - min(created_at))::float8 AS age FROM outbox`,
    );
    this.options.metrics.outboxBacklog.set(Number(rows[0]?.n ?? 0));
    this.options.metrics.outboxRelayLag.set(rows[0]?.age ?? 0);
  }

  private async run(): Promise<void> {
    const { logger } = this.options;
    let failures = 0;
    for (;;) {
      this.pendingKick = false;
      try {
        const sent = await this.publishBatch();
        if (failures > 0) logger.info({ failures }, 'outbox relay recovered');
        failures = 0;
        this.failing = undefined;
        if (sent > 0) continue;
      } catch (err) {
        failures++;
        this.failing = err as Error;
        logger.warn({ err: (err as Error).message, failures }, 'outbox relay could not publish; will retry');
        if (!(await waitBackoff(failures, this.stopping.signal))) return;
        continue;
      }
      if (this.stopping.signal.aborted) return;
      if (!this.pendingKick) await this.idle(IDLE_MS);
    }
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
