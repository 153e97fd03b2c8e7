// shipping: schedules a shipment for every reserved order.
import { join } from 'node:path';
import { LIVE_STAMPS, defineService, serviceModule, visible } from '@orderflow/shared';
import { decideShipment } from './decide';

interface ShipmentRow {
  order_id: string;
  shipment_id: string;
  carrier: string;
  scheduled_for: Date;
  items: { itemId: string; quantity: number }[];
  customer_id: string | null;
  created_at: Date;
}

export const shipping = defineService('shipping', {
  migrations: join(__dirname, 'migrations'),
  handlers: () => ({
    // One INSERT for the run; the shipment ids it returns are the orders scheduled now.
    InventoryReserved: {
      async batch(items, tx) {
        const shipments = items.map(({ event: reserved, ctx }) => ({
          reserved,
          ctx,
          scheduled: decideShipment(reserved, LIVE_STAMPS),
        }));
        const { rows } = await tx.query<{ shipment_id: string }>(
          `INSERT INTO shipments (order_id, shipment_id, carrier, scheduled_for, items, customer_id)
           SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::timestamptz[], $5::jsonb[], $6::text[])
           ON CONFLICT (order_id) DO NOTHING RETURNING shipment_id`,
          [
            shipments.map((s) => s.reserved.orderId),
            shipments.map((s) => s.scheduled.payload.shipmentId),
            shipments.map((s) => s.scheduled.payload.carrier),
            shipments.map((s) => s.scheduled.payload.scheduledFor),
            shipments.map((s) => JSON.stringify(s.scheduled.payload.items)),
            shipments.map((s) => s.reserved.customerId),
          ],
        );
        const scheduled = new Set(rows.map((r) => r.shipment_id));
        for (const { reserved, ctx, scheduled: event } of shipments) {
          const { log, publish } = ctx;
          if (!scheduled.has(event.payload.shipmentId)) {
            log.info(`Shipping skipped duplicate InventoryReserved for orderId ${reserved.orderId}`);
            continue;
          }
          publish(event.type, event.payload);
          const { carrier, scheduledFor } = event.payload;
          log.info({ carrier, scheduledFor }, 'shipment scheduled');
        }
      },
    },
  }),
  routes(router, { db }) {
    router.get('/shipments/:orderId', async (ctx) => {
      const { rows } = await db.query<ShipmentRow>('SELECT * FROM shipments WHERE order_id = $1', [
        ctx.params.orderId,
      ]);
      const s = visible(ctx, rows[0], (row) => row.customer_id, `shipment for order ${ctx.params.orderId}`);
      ctx.body = {
        orderId: s.order_id,
        shipmentId: s.shipment_id,
        carrier: s.carrier,
        scheduledFor: s.scheduled_for.toISOString(),
        items: s.items,
        createdAt: s.created_at.toISOString(),
      };
    });
  },
});

export const { readConfig, start } = serviceModule('shipping', {}, () => shipping);
