// Inventory's rule as a pure function: reserve every line of an order, or none.

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
