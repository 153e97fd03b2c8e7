// orders: the HTTP intake of the saga and the projection of every event into an order's
// status and history (an append-only event store per order).
import { randomUUID } from 'node:crypto';
import type { Context } from 'koa';
import {
  ConflictError,
  DEFAULT_PORTS,
  NotFoundError,
  PLATFORM_CURRENCY,
  UnprocessableError,
  ValidationError,
  appendToOutbox,
  catalogItem,
  eventMessage,
  loadServiceConfig,
  readJsonBody,
  startService,
  validatorFor,
  type AppContext,
  type CreateOrderRequest,
  type Env,
  type EventName,
  type Handler,
  type Handlers,
  type OrderCreated,
  type ServiceConfig,
  type ServiceDefinition,
  type Tx,
} from '@orderflow/shared';
import { nextStatus, priceOrder, requestFingerprint, type OrderStatus } from './decide';

export function readConfig(source: Env): ServiceConfig {
  return loadServiceConfig('orders', DEFAULT_PORTS.orders, {}, source);
}

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

/** Every event of the saga but the one orders writes itself. */
const PROJECTED: EventName[] = [
  'PaymentCaptured',
  'PaymentDeclined',
  'PaymentRefunded',
  'InventoryReserved',
  'InventoryInsufficient',
  'ShippingScheduled',
  'EmailSent',
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

async function recordEvent(
  tx: Tx,
  type: EventName,
  event: { eventId: string; orderId: string; occurredAt: string },
): Promise<boolean> {
  const { rowCount } = await tx.query(
    `INSERT INTO order_events (order_id, event_id, event_type, payload, occurred_at)
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING`,
    [event.orderId, event.eventId, type, JSON.stringify(event), event.occurredAt],
  );
  return rowCount === 1;
}

/** Saga outcomes: the status an order ends in. */
const FINAL: Partial<Record<OrderStatus, string>> = {
  SHIPPED: 'shipped',
  DECLINED: 'declined',
  REFUNDED: 'refunded',
};

function projectionHandlers({ metrics }: AppContext): Handlers {
  const project =
    (type: EventName): Handler<EventName> =>
    async (event, { tx, log }) => {
      if (!(await recordEvent(tx, type, event))) return;
      const { rows } = await tx.query<Pick<OrderRow, 'status' | 'created_at'>>(
        'SELECT status, created_at FROM orders WHERE order_id = $1 FOR UPDATE',
        [event.orderId],
      );
      const current = rows[0]?.status;
      if (!current) {
        log.warn(`${type} for unknown order ${event.orderId}: recorded in history only`);
        return;
      }
      const status = nextStatus(current, type);
      if (status !== current) {
        await tx.query('UPDATE orders SET status = $2, updated_at = now() WHERE order_id = $1', [
          event.orderId,
          status,
        ]);
        log.info({ from: current, to: status }, 'order status changed');
        const outcome = FINAL[status];
        if (outcome)
          metrics.sagaDuration.observe({ outcome }, (Date.now() - rows[0]!.created_at.getTime()) / 1000);
      }
    };
  return Object.fromEntries(PROJECTED.map((type) => [type, project(type)])) as Handlers;
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

async function placeOrder(ctx: Context, { db, codec, config, relay, logger }: AppContext): Promise<void> {
  const body = await readJsonBody(ctx, '64kb');
  const violations = validateRequest.check(body);
  if (violations.length > 0)
    throw new ValidationError('the order does not match CreateOrderRequest', { details: violations });
  const request = body as CreateOrderRequest;

  const pricing = priceOrder(request.items, catalogItem);
  if (!pricing.ok) {
    const details = [
      ...pricing.unknownItems.map((itemId) => ({ itemId, problem: 'not in the catalog' })),
      ...pricing.duplicateItems.map((itemId) => ({ itemId, problem: 'listed more than once' })),
    ];
    throw new UnprocessableError('the order cannot be priced', { details });
  }

  const correlationId = correlationIdOf(ctx);
  ctx.set('X-Correlation-Id', correlationId);
  const event: OrderCreated = {
    eventId: randomUUID(),
    orderId: request.orderId ?? randomUUID(),
    occurredAt: new Date().toISOString(),
    customerId: request.customerId,
    email: request.email ?? null,
    items: pricing.items,
    totalCents: pricing.totalCents,
    currency: PLATFORM_CURRENCY,
  };
  const fingerprint = requestFingerprint(request);
  // Encoded before the transaction: an event that breaks its contract never gets near the database.
  const message = eventMessage(codec, config.prefix, 'OrderCreated', event, {
    'x-correlation-id': correlationId,
    'x-origin-ts': String(Date.now()),
  });

  const outcome = await db.tx(async (tx) => {
    const inserted = await tx.query<OrderRow>(
      `INSERT INTO orders (order_id, customer_id, email, items, total_cents, currency, fingerprint, status, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'CREATED', $8, $8) ON CONFLICT (order_id) DO NOTHING RETURNING *`,
      [
        event.orderId,
        event.customerId,
        event.email,
        JSON.stringify(event.items),
        event.totalCents,
        event.currency,
        fingerprint,
        event.occurredAt,
      ],
    );
    if (inserted.rows[0]) {
      await recordEvent(tx, 'OrderCreated', event);
      await appendToOutbox(tx, [message]);
      return { created: true, row: inserted.rows[0] };
    }
    const { rows } = await tx.query<OrderRow>('SELECT * FROM orders WHERE order_id = $1', [event.orderId]);
    return { created: false, row: rows[0]! };
  });

  if (!outcome.created && outcome.row.fingerprint !== fingerprint) {
    throw new ConflictError(`order ${event.orderId} already exists with a different body`);
  }
  if (outcome.created) {
    relay.kick();
    logger.info(
      { orderId: event.orderId, eventId: event.eventId, correlationId, totalCents: event.totalCents },
      'order accepted',
    );
  }
  ctx.status = outcome.created ? 201 : 200;
  ctx.set('Location', `/orders/${encodeURIComponent(event.orderId)}`);
  ctx.body = orderView(outcome.row);
}

async function findOrder(db: AppContext['db'], orderId: string): Promise<OrderRow> {
  const { rows } = await db.query<OrderRow>('SELECT * FROM orders WHERE order_id = $1', [orderId]);
  if (!rows[0]) throw new NotFoundError(`no order ${orderId}`);
  return rows[0];
}

async function eventsOf(db: AppContext['db'], orderId: string): Promise<EventRow[]> {
  const { rows } = await db.query<EventRow>(
    'SELECT seq, event_id, event_type, payload, occurred_at FROM order_events WHERE order_id = $1 ORDER BY occurred_at, seq',
    [orderId],
  );
  return rows;
}

export const orders: ServiceDefinition = {
  name: 'orders',
  ddl: DDL,
  produces: ['OrderCreated'],
  handlers: projectionHandlers,
  routes(router, app) {
    router.post('/orders', (ctx) => placeOrder(ctx, app));
    router.get('/orders/:id', async (ctx) => {
      const order = await findOrder(app.db, ctx.params.id!);
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
      const order = await findOrder(app.db, ctx.params.id!);
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
};

export function start(config: ServiceConfig, options?: Parameters<typeof startService>[2]) {
  return startService(orders, config, options);
}
