// orders: the HTTP intake of the saga and the projection of every event into an order's
// status and history (an append-only event store per order).
import { randomUUID } from 'node:crypto';
import type { Context } from 'koa';
import {
  ConflictError,
  LIVE_STAMPS,
  UnprocessableError,
  ValidationError,
  appendToOutbox,
  catalogItem,
  batchConcurrent,
  eventMessage,
  readJsonBody,
  validatorFor,
  type AppContext,
  type CreateOrderRequest,
  type BatchHandler,
  type EventName,
  type HandlersOf,
  defineService,
  type OutboxMessage,
  type OrderCreated,
  type Tx,
  serviceModule,
  customerFor,
  visible,
} from '@orderflow/shared';
import { decideOrder, nextStatus, requestFingerprint, type OrderStatus } from './decide';

const DDL = [
  `CREATE TABLE IF NOT EXISTS orders (
     order_id text PRIMARY KEY,
     customer_id text NOT NULL,
     email text,
     items jsonb NOT NULL,
     total_cents bigint NOT NULL,
     currency text NOT NULL,
     fingerprint text NOT NULL,
     status text NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now(),
     updated_at timestamptz NOT NULL DEFAULT now()
   )`,
  `CREATE TABLE IF NOT EXISTS order_events (
     seq bigserial PRIMARY KEY,
     order_id text NOT NULL,
     event_id uuid NOT NULL UNIQUE,
     event_type text NOT NULL,
     payload jsonb NOT NULL,
     occurred_at timestamptz NOT NULL,
     recorded_at timestamptz NOT NULL DEFAULT now()
   )`,
  'CREATE INDEX IF NOT EXISTS order_events_by_order ON order_events (order_id, seq)',
];

interface OrderRow {
  order_id: string;
  customer_id: string;
  email: string | null;
  items: { itemId: string; quantity: number; unitPriceCents: number }[];
  total_cents: string;
  currency: string;
  fingerprint: string;
  status: OrderStatus;
  created_at: Date;
  updated_at: Date;
}

interface EventRow {
  seq: string;
  event_id: string;
  event_type: EventName;
  payload: Record<string, unknown>;
  occurred_at: Date;
}

const validateRequest = validatorFor<CreateOrderRequest>('requests/CreateOrderRequest.json');

interface EventFacts {
  eventId: string;
  orderId: string;
  occurredAt: string;
}

/** Appends events to their orders' histories in one statement; returns the eventIds new to it. */
async function recordEvents(tx: Tx, events: (EventFacts & { type: EventName })[]): Promise<Set<string>> {
  const { rows } = await tx.query<{ event_id: string }>(
    `INSERT INTO order_events (order_id, event_id, event_type, payload, occurred_at)
     SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::jsonb[], $5::timestamptz[])
     ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
    [
      events.map((e) => e.orderId),
      events.map((e) => e.eventId),
      events.map((e) => e.type),
      events.map(({ type: _type, ...payload }) => JSON.stringify(payload)),
      events.map((e) => e.occurredAt),
    ],
  );
  return new Set(rows.map((r) => r.event_id));
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
function projectionHandlers({ metrics }: AppContext): HandlersOf<'orders'> {
  const project: BatchHandler<EventName> = {
    async batch(items, tx) {
      const recorded = await recordEvents(
        tx,
        items.map((i) => ({ type: i.type, ...(i.event as EventFacts) })),
      );
      const fresh = items.filter((i) => recorded.has(i.event.eventId));
      if (fresh.length === 0) return;
      const { rows } = await tx.query<Pick<OrderRow, 'order_id' | 'status' | 'created_at'>>(
        'SELECT order_id, status, created_at FROM orders WHERE order_id = ANY($1) ORDER BY order_id FOR UPDATE',
        [[...new Set(fresh.map((i) => i.event.orderId))]],
      );
      const orders = new Map(rows.map((r) => [r.order_id, { ...r, was: r.status }]));
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

function orderView(row: OrderRow) {
  return {
    orderId: row.order_id,
    status: row.status,
    customerId: row.customer_id,
    email: row.email,
    items: row.items,
    totalCents: Number(row.total_cents),
    currency: row.currency,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

function correlationIdOf(ctx: Context): string {
  const given = ctx.get('x-correlation-id');
  return /^[A-Za-z0-9_.:-]{1,128}$/.test(given) ? given : randomUUID();
}

async function placeOrder(
  ctx: Context,
  { codec, config, logger }: AppContext,
  writeOrder: (placement: Placement) => Promise<Placed>,
): Promise<void> {
  const body = await readJsonBody(ctx, '64kb');
  const violations = validateRequest.check(body);
  if (violations.length > 0)
    throw new ValidationError('the order does not match CreateOrderRequest', { details: violations });
  const request = body as CreateOrderRequest;
  const customerId = customerFor(ctx, request.customerId);

  const decision = decideOrder({ ...request, customerId }, catalogItem, LIVE_STAMPS);
  if (!decision.ok) {
    const details = [
      ...decision.unknownItems.map((itemId) => ({ itemId, problem: 'not in the catalog' })),
      ...decision.duplicateItems.map((itemId) => ({ itemId, problem: 'listed more than once' })),
    ];
    throw new UnprocessableError('the order cannot be priced', { details });
  }

  const correlationId = correlationIdOf(ctx);
  ctx.set('X-Correlation-Id', correlationId);
  const event = decision.event.payload;
  const fingerprint = requestFingerprint(request);
  // Encoded before the transaction: an event that breaks its contract never gets near the database.
  const message = eventMessage(codec, config.prefix, decision.event.type, event, {
    'x-correlation-id': correlationId,
    'x-origin-ts': String(Date.now()),
  });

  const outcome = await writeOrder({ event, fingerprint, message });

  if (!outcome.created && outcome.row.fingerprint !== fingerprint) {
    throw new ConflictError(`order ${event.orderId} already exists with a different body`);
  }
  if (outcome.created) {
    logger.info(
      { orderId: event.orderId, eventId: event.eventId, correlationId, totalCents: event.totalCents },
      'order accepted',
    );
  }
  ctx.status = outcome.created ? 201 : 200;
  ctx.set('Location', `/orders/${encodeURIComponent(event.orderId)}`);
  ctx.body = orderView(outcome.row);
}

interface Placement {
  event: OrderCreated;
  fingerprint: string;
  message: OutboxMessage;
}

interface Placed {
  created: boolean;
  row: OrderRow;
}

/**
 * Writes the orders of concurrent requests in one transaction: each order row, its history
 * entry and its OrderCreated in the outbox commit together, and every request is answered
 * only after that commit. The first request for an orderId in a batch inserts it; a later
 * one finds it, exactly as if they had come one after the other.
 */
async function writeOrders(tx: Tx, batch: Placement[]): Promise<Placed[]> {
  const seen = new Set<string>();
  const firsts = batch.filter((p) => seen.size < seen.add(p.event.orderId).size);
  const inserted = await tx.query<OrderRow>(
    `INSERT INTO orders (order_id, customer_id, email, items, total_cents, currency, fingerprint, status, created_at, updated_at)
     SELECT order_id, customer_id, email, items, total_cents, currency, fingerprint, 'CREATED', at, at
     FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::bigint[], $6::text[], $7::text[], $8::timestamptz[])
       AS o(order_id, customer_id, email, items, total_cents, currency, fingerprint, at)
     ON CONFLICT (order_id) DO NOTHING RETURNING *`,
    [
      firsts.map((p) => p.event.orderId),
      firsts.map((p) => p.event.customerId),
      firsts.map((p) => p.event.email ?? null),
      firsts.map((p) => JSON.stringify(p.event.items)),
      firsts.map((p) => p.event.totalCents),
      firsts.map((p) => p.event.currency),
      firsts.map((p) => p.fingerprint),
      firsts.map((p) => p.event.occurredAt),
    ],
  );
  const rows = new Map(inserted.rows.map((r) => [r.order_id, r]));
  const created = new Set(firsts.filter((p) => rows.has(p.event.orderId)));
  if (created.size > 0) {
    await recordEvents(
      tx,
      [...created].map((p) => ({ type: 'OrderCreated' as const, ...p.event })),
    );
    await appendToOutbox(
      tx,
      [...created].map((p) => p.message),
    );
  }
  const others = batch.filter((p) => !created.has(p)).map((p) => p.event.orderId);
  if (others.length > 0) {
    const existing = await tx.query<OrderRow>('SELECT * FROM orders WHERE order_id = ANY($1)', [others]);
    for (const row of existing.rows) rows.set(row.order_id, row);
  }
  return batch.map((p) => ({ created: created.has(p), row: rows.get(p.event.orderId)! }));
}

/** The order when the caller may read it (their own, or any for an operator); else 404. */
async function findOrder(ctx: Context, db: AppContext['db'], orderId: string): Promise<OrderRow> {
  const { rows } = await db.query<OrderRow>('SELECT * FROM orders WHERE order_id = $1', [orderId]);
  return visible(ctx, rows[0], (order) => order.customer_id, `order ${orderId}`);
}

async function eventsOf(db: AppContext['db'], orderId: string): Promise<EventRow[]> {
  const { rows } = await db.query<EventRow>(
    'SELECT seq, event_id, event_type, payload, occurred_at FROM order_events WHERE order_id = $1 ORDER BY occurred_at, seq',
    [orderId],
  );
  return rows;
}

export const orders = defineService('orders', {
  ddl: DDL,
  handlers: projectionHandlers,
  routes(router, app) {
    const writeOrder = batchConcurrent((batch: Placement[]) =>
      app.transaction((tx) => writeOrders(tx, batch)),
    );
    router.post('/orders', (ctx) => placeOrder(ctx, app, writeOrder));
    router.get('/orders/:id', async (ctx) => {
      const order = await findOrder(ctx, app.db, ctx.params.id!);
      const events = await eventsOf(app.db, order.order_id);
      ctx.body = {
        ...orderView(order),
        timeline: events.map((e) => ({
          type: e.event_type,
          eventId: e.event_id,
          occurredAt: e.occurred_at.toISOString(),
        })),
      };
    });
    router.get('/orders/:id/events', async (ctx) => {
      const order = await findOrder(ctx, app.db, ctx.params.id!);
      const events = await eventsOf(app.db, order.order_id);
      ctx.body = {
        orderId: order.order_id,
        events: events.map((e) => ({
          seq: Number(e.seq),
          type: e.event_type,
          eventId: e.event_id,
          occurredAt: e.occurred_at.toISOString(),
          payload: e.payload,
        })),
      };
    });
  },
});

export const { readConfig, start } = serviceModule('orders', {}, () => orders);
