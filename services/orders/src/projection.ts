// The projection of every event into its order's status and history (an append-only event
// store per order).
import {
  arrayLiteral,
  queryAtCommit,
  type AppContext,
  type BatchHandler,
  type EventName,
  type HandlersOf,
  type Tx,
} from '@orderflow/shared';
import { nextStatus, type OrderStatus } from './decide';

interface EventFacts {
  eventId: string;
  orderId: string;
  occurredAt: string;
}

/** An event as the history keeps it. */
export interface RecordedEvent {
  type: EventName;
  event: EventFacts;
  /** The W3C trace context it was published with (none when tracing was off): orders:trace shows its trace. */
  traceparent: string | undefined;
}

/** Appends events to their orders' histories in one statement; returns the eventIds new to it. */
export async function recordEvents(tx: Tx, events: RecordedEvent[]): Promise<Set<string>> {
  const { rows } = await tx.query<{ event_id: string }>(
    `INSERT INTO order_events (order_id, event_id, event_type, payload, occurred_at, traceparent)
     SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::jsonb[], $5::timestamptz[], $6::text[])
     ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
    [
      events.map((e) => e.event.orderId),
      events.map((e) => e.event.eventId),
      events.map((e) => e.type),
      events.map((e) => JSON.stringify(e.event)),
      events.map((e) => e.event.occurredAt),
      events.map((e) => e.traceparent ?? null),
    ],
  );
  return new Set(rows.map((r) => r.event_id));
}

/**
 * Appends events of orders this transaction created: nothing to learn from the statement, so it
 * travels with COMMIT (queryAtCommit) and costs no round trip of its own.
 */
export async function recordAtCommit(tx: Tx, events: RecordedEvent[]): Promise<void> {
  const column = (type: string, of: (e: RecordedEvent) => string | null) =>
    arrayLiteral(events.map(of), type);
  await queryAtCommit(
    tx,
    `INSERT INTO order_events (order_id, event_id, event_type, payload, occurred_at, traceparent)
     SELECT * FROM unnest(${[
       column('text', (e) => e.event.orderId),
       column('uuid', (e) => e.event.eventId),
       column('text', (e) => e.type),
       column('jsonb', (e) => JSON.stringify(e.event)),
       column('timestamptz', (e) => e.event.occurredAt),
       column('text', (e) => e.traceparent ?? null),
     ].join(', ')})
     ON CONFLICT (event_id) DO NOTHING`,
  );
}

/** Saga outcomes: the status an order ends in. */
const FINAL: Partial<Record<OrderStatus, string>> = {
  SHIPPED: 'shipped',
  DECLINED: 'declined',
  REFUNDED: 'refunded',
};

// One batch handler for every projected type, so a chunk's events are one run: record them,
// lock all their orders in one statement in id order (concurrent chunks then never
// deadlock), and write back the statuses that moved. Three statements per chunk.
export function projectionHandlers({ metrics }: AppContext): HandlersOf<'orders'> {
  const project: BatchHandler<EventName> = {
    async batch(items, tx) {
      const recorded = await recordEvents(
        tx,
        items.map((i) => ({
          type: i.type,
          event: i.event as EventFacts,
          traceparent: i.ctx.meta.headers.traceparent,
        })),
      );
      const fresh = items.filter((i) => recorded.has(i.event.eventId));
      if (fresh.length === 0) return;
      const { rows } = await tx.query<{ order_id: string; status: OrderStatus; created_at: Date }>(
        'SELECT order_id, status, created_at FROM orders WHERE order_id = ANY($1) ORDER BY order_id FOR UPDATE',
        [[...new Set(fresh.map((i) => i.event.orderId))]],
      );
      const orders = new Map(
        rows.map((r) => [
          r.order_id,
          { order_id: r.order_id, status: r.status, created_at: r.created_at, was: r.status },
        ]),
      );
      for (const { type, event, ctx } of fresh) {
        const order = orders.get(event.orderId);
        if (!order) {
          ctx.log.warn(`${type} for unknown order ${event.orderId}: recorded in history only`);
          continue;
        }
        const status = nextStatus(order.status, type);
        if (status === order.status) continue;
        ctx.log.info({ from: order.status, to: status }, 'order status changed');
        order.status = status;
        const outcome = FINAL[status];
        if (outcome)
          metrics.sagaDuration.observe({ outcome }, (Date.now() - order.created_at.getTime()) / 1000);
      }
      const moved = [...orders.values()].filter((o) => o.status !== o.was);
      if (moved.length > 0) {
        await tx.query(
          `UPDATE orders SET status = u.status, updated_at = now()
           FROM unnest($1::text[], $2::text[]) AS u(order_id, status) WHERE orders.order_id = u.order_id`,
          [moved.map((o) => o.order_id), moved.map((o) => o.status)],
        );
      }
    },
  };
  return {
    PaymentCaptured: project,
    PaymentDeclined: project,
    PaymentRefunded: project,
    InventoryReserved: project,
    InventoryInsufficient: project,
    ShippingScheduled: project,
    EmailSent: project,
  };
}
