// Shipping's rules as pure functions; the clock is passed in.

export type Carrier = 'PostNL' | 'DHL Freight';

/** Parcels up to 10 units go by parcel post; larger shipments by freight. */
export function chooseCarrier(items: { quantity: number }[]): Carrier {
  const units = items.reduce((sum, i) => sum + i.quantity, 0);
  return units <= 10 ? 'PostNL' : 'DHL Freight';
}

/** Pickup is the next working day (Monday to Friday) at 09:00 UTC after `now`. */
export function pickupDate(now: Date): Date {
  const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1, 9));
  while (day.getUTCDay() === 0 || day.getUTCDay() === 6) day.setUTCDate(day.getUTCDate() + 1);
  return day;
}
