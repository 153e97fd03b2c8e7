// Transactional outbox: an event is written in the same transaction as the state change
// that caused it; once that transaction commits, its rows are handed to the relay
// (outbox-relay.ts), which publishes them and deletes them only after the broker acknowledged.
// A row's headers hold the W3C trace context of whoever wrote it (tracing/propagation.ts), so
// its publish span joins that trace.
import type { EventCodec } from './codec';
import type { EventPayloads } from './contracts';
import { topicOf, type EventName } from './topics';
import { queryAtCommit, type Db, type Tx } from './db';
import { arrayLiteral } from './sql-literals';

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
    // Not a spread followed by more keys: V8 took microseconds for that on every event.
    headers: Object.assign({}, headers, { 'x-event-type': type, 'x-event-id': eventId }),
    eventType: type,
    eventId,
  };
}

/** An outbox row as the relay publishes it. */
export interface OutboxRow {
  id: string;
  topic: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
  event_type: string;
}

/** The rows each open publishing transaction has appended, handed to the relay once it commits. */
const appendedIn = new WeakMap<Tx, OutboxRow[]>();

/**
 * Writes outbox rows in one statement, sent with the transaction's COMMIT (db.ts queryAtCommit):
 * no round trip of its own. A row that cannot be written fails the commit, and so the
 * transaction; the rows' ids, known once it committed, go with them to the relay.
 */
export async function appendToOutbox(tx: Tx, messages: OutboxMessage[]): Promise<void> {
  if (messages.length === 0) return;
  const column = (type: string, of: (m: OutboxMessage) => string) => arrayLiteral(messages.map(of), type);
  const columns = [
    column('text', (m) => m.topic),
    column('text', (m) => m.key),
    column('text', (m) => m.value.toString('base64')), // a third shorter than hex to build, send and parse
    column('jsonb', (m) => JSON.stringify(m.headers)),
    column('text', (m) => m.eventType),
    column('uuid', (m) => m.eventId),
  ];
  const appended = appendedIn.get(tx); // none outside publishingTransactions: the relay's sweep finds them
  await queryAtCommit<{ id: string; event_id: string }>(
    tx,
    `INSERT INTO outbox (topic, key, value, headers, event_type, event_id)
     SELECT topic, key, decode(value, 'base64'), headers, event_type, event_id
     FROM unnest(${columns.join(', ')}) AS r(topic, key, value, headers, event_type, event_id)
     RETURNING id, event_id`,
    ({ rows }) => {
      if (!appended) return;
      const idOf = new Map(rows.map((r) => [r.event_id, r.id]));
      for (const m of messages)
        appended.push({
          id: idOf.get(m.eventId)!,
          topic: m.topic,
          key: m.key,
          value: m.value,
          headers: m.headers,
          event_type: m.eventType,
        });
    },
  );
}

/**
 * Runs transactions whose outbox rows the relay publishes right after the commit, from memory:
 * the one way the runtime, and routes through `AppContext.transaction`, write events.
 */
export function publishingTransactions(db: Pick<Db, 'tx'>, relay: { publish(rows: OutboxRow[]): void }) {
  return async <T>(work: (tx: Tx) => Promise<T>): Promise<T> => {
    const appended: OutboxRow[] = [];
    const result = await db.tx(async (tx) => {
      appendedIn.set(tx, appended);
      try {
        return await work(tx);
      } finally {
        appendedIn.delete(tx);
      }
    });
    relay.publish(appended);
    return result;
  };
}
