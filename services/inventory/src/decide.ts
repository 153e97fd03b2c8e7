// Inventory's rule as pure functions: reserve every line of a paid order, or none. Time and
// ids are passed in.
import { envelope, type PaymentCaptured, type Produced, type Stamps } from '@orderflow/shared';

export interface Line {
  itemId: string;
  quantity: number;
}

export interface Shortfall {
  itemId: string;
  requested: number;
  available: number;
}

export type ReservationDecision =
  { outcome: 'RESERVED'; lines: Line[] } | { outcome: 'INSUFFICIENT'; shortfall: Shortfall[] };

/**
 * Lines for the same item are summed first; an item missing from `available` has none.
 * All or nothing: a single short line rejects the whole order.
 */
export function decideReservation(
  lines: Line[],
  available: ReadonlyMap<string, number>,
): ReservationDecision {
  const wanted = new Map<string, number>();
  for (const { itemId, quantity } of lines) wanted.set(itemId, (wanted.get(itemId) ?? 0) + quantity);
  const shortfall = [...wanted]
    .map(([itemId, requested]) => ({ itemId, requested, available: available.get(itemId) ?? 0 }))
    .filter((s) => s.requested > s.available);
  if (shortfall.length > 0) return { outcome: 'INSUFFICIENT', shortfall };
  return { outcome: 'RESERVED', lines: [...wanted].map(([itemId, quantity]) => ({ itemId, quantity })) };
}

/**
 * Given the stock available, when PaymentCaptured: InventoryReserved for every line, or
 * InventoryInsufficient naming the short lines.
 */
export function decidePaidOrder(
  payment: PaymentCaptured,
  available: ReadonlyMap<string, number>,
  reservationId: string,
  stamps: Stamps,
): Produced<'inventory'> {
  const decision = decideReservation(payment.items, available);
  const base = envelope(payment.orderId, stamps);
  if (decision.outcome === 'INSUFFICIENT')
    return { type: 'InventoryInsufficient', payload: { ...base, items: decision.shortfall } };
  return {
    type: 'InventoryReserved',
    payload: {
      ...base,
      reservationId,
      customerId: payment.customerId,
      email: payment.email ?? null,
      items: decision.lines,
    },
  };
}
