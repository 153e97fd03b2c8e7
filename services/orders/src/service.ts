// orders: the HTTP intake of the saga, and the reads of each order's status and history
// (projection.ts keeps them current from every event).
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Context } from 'koa';
import {
  ConflictError,
  LIVE_STAMPS,
  UnprocessableError,
  ValidationError,
  appendToOutbox,
  arrayLiteral,
  catalogItem,
  batchConcurrent,
  eventMessage,
  withTraceContext,
  tagRequestSpan,
  readJsonBody,
  validatorFor,
  type AppContext,
  type CreateOrderRequest,
  type EventName,
  defineService,
  type OutboxMessage,
  type OrderCreated,
  type Tx,
  serviceModule,
  customerFor,
  visible,
} from '@orderflow/shared';
import { decideOrder, requestFingerprint, type OrderStatus } from './decide';
import { projectionHandlers, recordAtCommit } from './projection';

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
  traceparent: string | null;
}

const validateRequest = validatorFor<CreateOrderRequest>('requests/CreateOrderRequest.json');

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
  { codec, config, logger, tracing }: AppContext,
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
  tagRequestSpan(tracing, { 'orderflow.order_id': event.orderId });
  const fingerprint = requestFingerprint(request);
  // Encoded before the transaction: an event that breaks its contract never gets near the database.
  // Its row keeps this request's trace context: the relay's publish span continues from it.
  const message = eventMessage(
    codec,
    config.prefix,
    decision.event.type,
    event,
    withTraceContext(tracing, { 'x-correlation-id': correlationId, 'x-origin-ts': String(Date.now()) }),
  );

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

export interface Placement {
  event: OrderCreated;
  fingerprint: string;
  message: OutboxMessage;
}

export interface Placed {
  created: boolean;
  row: OrderRow;
}

/**
 * Writes the orders of concurrent requests in one transaction: each order row, its history
 * entry and its OrderCreated in the outbox commit together, and every request is answered
 * only after that commit. The first request for an orderId in a batch inserts it; a later
 * one finds it, exactly as if they had come one after the other. Two round trips: BEGIN with
 * the orders' insert (it takes no parameters, db.ts), then the history and outbox rows with
 * COMMIT. A created order is answered from what was inserted, not read back.
 */
export async function writeOrders(tx: Tx, batch: Placement[]): Promise<Placed[]> {
  const seen = new Set<string>();
  const firsts = batch.filter((p) => seen.size < seen.add(p.event.orderId).size);
  const column = (type: string, of: (p: Placement) => string | null) => arrayLiteral(firsts.map(of), type);
  const inserted = await tx.query<{ order_id: string }>(
    `INSERT INTO orders (order_id, customer_id, email, items, total_cents, currency, fingerprint, status, created_at, updated_at)
     SELECT order_id, customer_id, email, items, total_cents, currency, fingerprint, 'CREATED', at, at
     FROM unnest(${[
       column('text', (p) => p.event.orderId),
       column('text', (p) => p.event.customerId),
       column('text', (p) => p.event.email ?? null),
       column('jsonb', (p) => JSON.stringify(p.event.items)),
       column('bigint', (p) => String(p.event.totalCents)),
       column('text', (p) => p.event.currency),
       column('text', (p) => p.fingerprint),
       column('timestamptz', (p) => p.event.occurredAt),
     ].join(', ')})
       AS o(order_id, customer_id, email, items, total_cents, currency, fingerprint, at)
     ON CONFLICT (order_id) DO NOTHING RETURNING order_id`,
  );
  const fresh = new Set(inserted.rows.map((r) => r.order_id));
  const created = new Set(firsts.filter((p) => fresh.has(p.event.orderId)));
  const rows = new Map([...created].map((p) => [p.event.orderId, insertedRow(p)]));
  if (created.size > 0) {
    await recordAtCommit(
      tx,
      [...created].map((p) => ({
        type: 'OrderCreated' as const,
        event: p.event,
        traceparent: p.message.headers.traceparent,
      })),
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

/** The row writeOrders inserted for `p`, as PostgreSQL would have returned it. */
function insertedRow({ event, fingerprint }: Placement): OrderRow {
  const at = new Date(event.occurredAt);
  return {
    order_id: event.orderId,
    customer_id: event.customerId,
    email: event.email ?? null,
    items: event.items,
    total_cents: String(event.totalCents),
    currency: event.currency,
    fingerprint,
    status: 'CREATED',
    created_at: at,
    updated_at: at,
  };
}

/** The order when the caller may read it (their own, or any for an operator); else 404. */
async function findOrder(ctx: Context, db: AppContext['db'], orderId: string): Promise<OrderRow> {
  const { rows } = await db.query<OrderRow>('SELECT * FROM orders WHERE order_id = $1', [orderId]);
  return visible(ctx, rows[0], (order) => order.customer_id, `order ${orderId}`);
}

async function eventsOf(db: AppContext['db'], orderId: string): Promise<EventRow[]> {
  const { rows } = await db.query<EventRow>(
    'SELECT seq, event_id, event_type, payload, occurred_at, traceparent FROM order_events WHERE order_id = $1 ORDER BY occurred_at, seq',
    [orderId],
  );
  return rows;
}

export const orders = defineService('orders', {
  migrations: join(__dirname, 'migrations'),
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
          traceparent: e.traceparent,
          payload: e.payload,
        })),
      };
    });
  },
});

export const { readConfig, start } = serviceModule('orders', {}, () => orders);
