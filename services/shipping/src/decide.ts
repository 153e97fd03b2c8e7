// Shipping's rules as pure functions; the clock and ids are passed in.
import { envelope, type InventoryReserved, type Produced, type Stamps } from '@orderflow/shared';

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

/** When InventoryReserved: ShippingScheduled with a new shipment, its carrier and pickup date. */
export function decideShipment(reserved: InventoryReserved, stamps: Stamps): Produced<'shipping'> {
  const base = envelope(reserved.orderId, stamps);
  return {
    type: 'ShippingScheduled',
    payload: {
      ...base,
      customerId: reserved.customerId,
      email: reserved.email ?? null,
      shipmentId: stamps.newId(),
      carrier: chooseCarrier(reserved.items),
      scheduledFor: pickupDate(new Date(base.occurredAt)).toISOString(),
      items: reserved.items,
    },
  };
}
