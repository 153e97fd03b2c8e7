// Billing's rules as pure functions: given the payment so far, when an event arrives, the
// events to publish. Time and ids are passed in.
import {
  envelope,
  type InventoryInsufficient,
  type OrderCreated,
  type Produced,
  type Stamps,
} from '@orderflow/shared';

/** A payment as billing holds it. */
export interface Payment {
  orderId: string;
  paymentId: string;
  customerId: string;
  email: string | null;
  amountCents: number;
  currency: string;
  status: 'CAPTURED' | 'DECLINED' | 'REFUNDED';
}

/** When OrderCreated: capture the payment, or decline it when the total exceeds the limit. */
export function decideCharge(
  order: OrderCreated,
  { limitCents, paymentId }: { limitCents: number; paymentId: string },
  stamps: Stamps,
): Produced<'billing'> {
  const common = {
    ...envelope(order.orderId, stamps),
    customerId: order.customerId,
    email: order.email ?? null,
    amountCents: order.totalCents,
    currency: order.currency,
  };
  if (order.totalCents > limitCents)
    return { type: 'PaymentDeclined', payload: { ...common, reason: 'LIMIT_EXCEEDED' } };
  return {
    type: 'PaymentCaptured',
    payload: {
      ...common,
      paymentId,
      items: order.items.map(({ itemId, quantity }) => ({ itemId, quantity })),
    },
  };
}

/** Given a captured payment, when InventoryInsufficient: refund it in full. Nothing else is refunded. */
export function decideRefund(
  payment: Payment | undefined,
  _shortage: InventoryInsufficient,
  stamps: Stamps,
): Produced<'billing'>[] {
  if (payment?.status !== 'CAPTURED') return [];
  return [
    {
      type: 'PaymentRefunded',
      payload: {
        ...envelope(payment.orderId, stamps),
        paymentId: payment.paymentId,
        customerId: payment.customerId,
        email: payment.email,
        amountCents: payment.amountCents,
        currency: payment.currency,
        reason: 'OUT_OF_STOCK',
      },
    },
  ];
}
