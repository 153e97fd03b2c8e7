// inventory: reserves stock for paid orders, all lines or none, never overselling.
import { randomUUID } from 'node:crypto';
import {
  DEFAULT_PORTS,
  DEMO_CATALOG,
  PLATFORM_CURRENCY,
  loadServiceConfig,
  startService,
  type Env,
  type ServiceConfig,
  type ServiceDefinition,
} from '@orderflow/shared';
import { decideReservation } from './decide';

export function readConfig(source: Env): ServiceConfig {
  return loadServiceConfig('inventory', DEFAULT_PORTS.inventory, {}, source);
}

const DDL = [
  `CREATE TABLE IF NOT EXISTS stock (
     item_id text PRIMARY KEY,
     name text NOT NULL,
     price_cents bigint NOT NULL,
     currency text NOT NULL,
     available integer NOT NULL CHECK (available >= 0),
     reserved integer NOT NULL DEFAULT 0 CHECK (reserved >= 0)
   )`,
  `CREATE TABLE IF NOT EXISTS reservations (
     order_id text PRIMARY KEY,
     reservation_id uuid NOT NULL,
     outcome text NOT NULL CHECK (outcome IN ('RESERVED', 'INSUFFICIENT')),
     lines jsonb NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now()
   )`,
  // Seeded once: a restart never resets stock that orders have consumed.
  `INSERT INTO stock (item_id, name, price_cents, currency, available)
   SELECT * FROM unnest(
     ${sqlArray(DEMO_CATALOG.map((i) => i.itemId))}::text[],
     ${sqlArray(DEMO_CATALOG.map((i) => i.name))}::text[],
     ${sqlArray(DEMO_CATALOG.map((i) => String(i.priceCents)))}::bigint[],
     ${sqlArray(DEMO_CATALOG.map(() => PLATFORM_CURRENCY))}::text[],
     ${sqlArray(DEMO_CATALOG.map((i) => String(i.initialStock)))}::int[])
   ON CONFLICT (item_id) DO NOTHING`,
];

function sqlArray(values: string[]): string {
  return `ARRAY[${values.map((v) => `'${v.replace(/'/g, "''")}'`).join(', ')}]`;
}

interface StockRow {
  item_id: string;
  name: string;
  price_cents: string;
  currency: string;
  available: number;
  reserved: number;
}

export const inventory: ServiceDefinition = {
  name: 'inventory',
  ddl: DDL,
  produces: ['InventoryReserved', 'InventoryInsufficient'],
  handlers: () => ({
    async PaymentCaptured(payment, { tx, log, publish }) {
      const reservationId = randomUUID();
      // Claim the order first: a second PaymentCaptured for it stops here.
      const claimed = await tx.query(
        `INSERT INTO reservations (order_id, reservation_id, outcome, lines) VALUES ($1, $2, 'INSUFFICIENT', '[]')
         ON CONFLICT (order_id) DO NOTHING`,
        [payment.orderId, reservationId],
      );
      if (claimed.rowCount === 0) {
        log.info(`Inventory skipped duplicate PaymentCaptured for orderId ${payment.orderId}`);
        return;
      }
      // Rows are locked in item order so concurrent reservations never deadlock.
      const { rows } = await tx.query<StockRow>(
        'SELECT item_id, available FROM stock WHERE item_id = ANY($1) ORDER BY item_id FOR UPDATE',
        [payment.items.map((i) => i.itemId)],
      );
      const decision = decideReservation(payment.items, new Map(rows.map((r) => [r.item_id, r.available])));
      const base = { eventId: randomUUID(), orderId: payment.orderId, occurredAt: new Date().toISOString() };
      if (decision.outcome === 'INSUFFICIENT') {
        await tx.query('UPDATE reservations SET lines = $2 WHERE order_id = $1', [
          payment.orderId,
          JSON.stringify(decision.shortfall),
        ]);
        publish('InventoryInsufficient', { ...base, items: decision.shortfall });
        log.info({ shortfall: decision.shortfall }, 'insufficient stock');
        return;
      }
      await tx.query(
        `UPDATE stock SET available = available - l.quantity, reserved = reserved + l.quantity
         FROM unnest($1::text[], $2::int[]) AS l(item_id, quantity) WHERE stock.item_id = l.item_id`,
        [decision.lines.map((l) => l.itemId), decision.lines.map((l) => l.quantity)],
      );
      await tx.query(`UPDATE reservations SET outcome = 'RESERVED', lines = $2 WHERE order_id = $1`, [
        payment.orderId,
        JSON.stringify(decision.lines),
      ]);
      publish('InventoryReserved', {
        ...base,
        reservationId,
        customerId: payment.customerId,
        email: payment.email ?? null,
        items: decision.lines,
      });
      log.info({ items: decision.lines }, 'stock reserved');
    },
  }),
  routes(router, { db }) {
    router.get('/inventory', async (ctx) => {
      const { rows } = await db.query<StockRow>('SELECT * FROM stock ORDER BY item_id');
      ctx.body = {
        items: rows.map((r) => ({
          itemId: r.item_id,
          name: r.name,
          priceCents: Number(r.price_cents),
          currency: r.currency,
          available: r.available,
          reserved: r.reserved,
        })),
      };
    });
  },
};

export function start(config: ServiceConfig, options?: Parameters<typeof startService>[2]) {
  return startService(inventory, config, options);
}
