// billing: charges for each new order (or declines it over the limit) and refunds when
// inventory cannot fill a paid order.
import { join } from 'node:path';
import {
  LIVE_STAMPS,
  defineService,
  env,
  type ServiceDefinition,
  serviceModule,
  visible,
} from '@orderflow/shared';
import { decideCharge, decideRefund, type Payment } from './decide';

interface PaymentRow {
  order_id: string;
  payment_id: string;
  customer_id: string;
  email: string | null;
  amount_cents: string;
  currency: string;
  status: Payment['status'];
  decline_reason: string | null;
  created_at: Date;
  refunded_at: Date | null;
}

function paymentOf(row: PaymentRow): Payment {
  return {
    orderId: row.order_id,
    paymentId: row.payment_id,
    customerId: row.customer_id,
    email: row.email,
    amountCents: Number(row.amount_cents),
    currency: row.currency,
    status: row.status,
  };
}

export function billing(limitCents: number): ServiceDefinition {
  const stamps = LIVE_STAMPS;
  return defineService('billing', {
    migrations: join(__dirname, 'migrations'),
    handlers: () => ({
      // One INSERT for the whole run; the payment ids it returns are the orders charged now.
      OrderCreated: {
        async batch(items, tx) {
          const payments = items.map(({ event: order, ctx }) => {
            const paymentId = stamps.newId();
            return { order, ctx, paymentId, event: decideCharge(order, { limitCents, paymentId }, stamps) };
          });
          const { rows } = await tx.query<{ payment_id: string }>(
            `INSERT INTO payments (order_id, payment_id, customer_id, email, amount_cents, currency, status, decline_reason)
             SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[])
             ON CONFLICT (order_id) DO NOTHING RETURNING payment_id`,
            [
              payments.map((p) => p.order.orderId),
              payments.map((p) => p.paymentId),
              payments.map((p) => p.order.customerId),
              payments.map((p) => p.order.email ?? null),
              payments.map((p) => p.order.totalCents),
              payments.map((p) => p.order.currency),
              payments.map((p) => (p.event.type === 'PaymentCaptured' ? 'CAPTURED' : 'DECLINED')),
              payments.map((p) => (p.event.type === 'PaymentDeclined' ? p.event.payload.reason : null)),
            ],
          );
          const charged = new Set(rows.map((r) => r.payment_id));
          for (const { order, ctx, event, paymentId } of payments) {
            const { log, publish } = ctx;
            if (!charged.has(paymentId)) {
              log.info(`Billing skipped duplicate OrderCreated for orderId ${order.orderId}`);
              continue;
            }
            publish(event.type, event.payload);
            if (event.type === 'PaymentCaptured')
              log.info({ amountCents: order.totalCents }, 'payment captured');
            else log.info({ amountCents: order.totalCents, limitCents }, 'payment declined');
          }
        },
      },

      async InventoryInsufficient(shortage, { tx, log, publish }) {
        const { rows } = await tx.query<PaymentRow>('SELECT * FROM payments WHERE order_id = $1 FOR UPDATE', [
          shortage.orderId,
        ]);
        const refunds = decideRefund(rows[0] && paymentOf(rows[0]), shortage, stamps);
        if (refunds.length === 0) {
          log.info(`Billing skipped refund for orderId ${shortage.orderId}: no captured payment`);
          return;
        }
        await tx.query(`UPDATE payments SET status = 'REFUNDED', refunded_at = now() WHERE order_id = $1`, [
          shortage.orderId,
        ]);
        for (const { type, payload } of refunds) {
          publish(type, payload);
          log.info({ amountCents: payload.amountCents }, 'payment refunded');
        }
      },
    }),
    routes(router, { db }) {
      router.get('/payments/:orderId', async (ctx) => {
        const { rows } = await db.query<PaymentRow>('SELECT * FROM payments WHERE order_id = $1', [
          ctx.params.orderId,
        ]);
        const p = visible(ctx, rows[0], (row) => row.customer_id, `payment for order ${ctx.params.orderId}`);
        ctx.body = {
          orderId: p.order_id,
          paymentId: p.payment_id,
          status: p.status,
          amountCents: Number(p.amount_cents),
          currency: p.currency,
          declineReason: p.decline_reason,
          createdAt: p.created_at.toISOString(),
          refundedAt: p.refunded_at?.toISOString() ?? null,
        };
      });
    },
  });
}

export const { readConfig, start } = serviceModule(
  'billing',
  { PAYMENT_LIMIT_CENTS: env.int(0, Number.MAX_SAFE_INTEGER, 100_000) },
  (own) => billing(own.PAYMENT_LIMIT_CENTS),
);
