// inventory: reserves stock for paid orders, all lines or none, never overselling.
import { join } from 'node:path';
import {
  DEMO_CATALOG,
  LIVE_STAMPS,
  PLATFORM_CURRENCY,
  defineService,
  serviceModule,
  type Db,
} from '@orderflow/shared';
import { decidePaidOrder } from './decide';

/**
 * The catalog's demo items, written at every start after the migrations (reference data, not a
 * table's shape): an item already there is left alone, so a restart never resets stock that
 * orders have consumed.
 */
export async function seedCatalog(db: Db): Promise<void> {
  await db.query(
    `INSERT INTO stock (item_id, name, price_cents, currency, available)
     SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::int[])
     ON CONFLICT (item_id) DO NOTHING`,
    [
      DEMO_CATALOG.map((i) => i.itemId),
      DEMO_CATALOG.map((i) => i.name),
      DEMO_CATALOG.map((i) => i.priceCents),
      DEMO_CATALOG.map(() => PLATFORM_CURRENCY),
      DEMO_CATALOG.map((i) => i.initialStock),
    ],
  );
}

interface StockRow {
  item_id: string;
  name: string;
  price_cents: string;
  currency: string;
  available: number;
  reserved: number;
}

export const inventory = defineService('inventory', {
  migrations: join(__dirname, 'migrations'),
  seed: seedCatalog,
  handlers: () => ({
    // The run in four statements: claim every order, lock the stock rows it needs (in item
    // order, so concurrent chunks never deadlock), decide each order in arrival order against
    // the running stock, then write the stock and the reservations back.
    PaymentCaptured: {
      async batch(items, tx) {
        const claims = items.map(({ event: payment, ctx }) => ({
          payment,
          ctx,
          reservationId: LIVE_STAMPS.newId(),
        }));
        // Claim the orders first: a second PaymentCaptured for one stops here.
        const claimed = await tx.query<{ reservation_id: string }>(
          `INSERT INTO reservations (order_id, reservation_id, outcome, lines)
           SELECT order_id, reservation_id, 'INSUFFICIENT', '[]' FROM unnest($1::text[], $2::uuid[]) AS c(order_id, reservation_id)
           ON CONFLICT (order_id) DO NOTHING RETURNING reservation_id`,
          [claims.map((c) => c.payment.orderId), claims.map((c) => c.reservationId)],
        );
        const ours = new Set(claimed.rows.map((r) => r.reservation_id));
        const fresh = claims.filter(({ payment, ctx, reservationId }) => {
          if (!ours.has(reservationId))
            ctx.log.info(`Inventory skipped duplicate PaymentCaptured for orderId ${payment.orderId}`);
          return ours.has(reservationId);
        });
        if (fresh.length === 0) return;
        const itemIds = [...new Set(fresh.flatMap((c) => c.payment.items.map((i) => i.itemId)))];
        const { rows } = await tx.query<StockRow>(
          'SELECT item_id, available FROM stock WHERE item_id = ANY($1) ORDER BY item_id FOR UPDATE',
          [itemIds],
        );
        const available = new Map(rows.map((r) => [r.item_id, r.available]));
        const taken = new Map<string, number>();
        const outcomes: { orderId: string; outcome: 'RESERVED' | 'INSUFFICIENT'; lines: string }[] = [];
        for (const { payment, ctx, reservationId } of fresh) {
          const { log, publish } = ctx;
          const event = decidePaidOrder(payment, available, reservationId, LIVE_STAMPS);
          const lines = JSON.stringify(event.payload.items);
          if (event.type === 'InventoryInsufficient') {
            outcomes.push({ orderId: payment.orderId, outcome: 'INSUFFICIENT', lines });
            log.info({ shortfall: event.payload.items }, 'insufficient stock');
          } else {
            for (const { itemId, quantity } of event.payload.items) {
              available.set(itemId, available.get(itemId)! - quantity);
              taken.set(itemId, (taken.get(itemId) ?? 0) + quantity);
            }
            outcomes.push({ orderId: payment.orderId, outcome: 'RESERVED', lines });
            log.info({ items: event.payload.items }, 'stock reserved');
          }
          publish(event.type, event.payload);
        }
        if (taken.size > 0) {
          await tx.query(
            `UPDATE stock SET available = available - l.quantity, reserved = reserved + l.quantity
             FROM unnest($1::text[], $2::int[]) AS l(item_id, quantity) WHERE stock.item_id = l.item_id`,
            [[...taken.keys()], [...taken.values()]],
          );
        }
        await tx.query(
          `UPDATE reservations SET outcome = u.outcome, lines = u.lines::jsonb
           FROM unnest($1::text[], $2::text[], $3::text[]) AS u(order_id, outcome, lines) WHERE reservations.order_id = u.order_id`,
          [outcomes.map((o) => o.orderId), outcomes.map((o) => o.outcome), outcomes.map((o) => o.lines)],
        );
      },
    },
  }),
  publicRoutes: ['GET /inventory'], // the catalog: prices and stock are no one's personal data
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
});

export const { readConfig, start } = serviceModule('inventory', {}, () => inventory);
