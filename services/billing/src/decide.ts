// Billing's rules as pure functions: the order in, the decision out.
import type { OrderCreated } from '@orderflow/shared';

export type PaymentDecision = { outcome: 'CAPTURED' } | { outcome: 'DECLINED'; reason: 'LIMIT_EXCEEDED' };

/** Captures a payment unless the order's total exceeds the configured limit. */
export function decidePayment(order: Pick<OrderCreated, 'totalCents'>, limitCents: number): PaymentDecision {
  return order.totalCents > limitCents
    ? { outcome: 'DECLINED', reason: 'LIMIT_EXCEEDED' }
    : { outcome: 'CAPTURED' };
}
