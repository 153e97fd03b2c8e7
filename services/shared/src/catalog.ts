// The demo catalog the platform owns: orders prices from it, inventory seeds its stock
// from it on first start. Clients never send prices.

export const PLATFORM_CURRENCY = 'EUR';

export interface CatalogItem {
  itemId: string;
  name: string;
  priceCents: number;
  initialStock: number;
}

export const DEMO_CATALOG: readonly CatalogItem[] = [
  { itemId: 'espresso-beans-1kg', name: 'Espresso beans, 1 kg', priceCents: 2_490, initialStock: 1_000_000 },
  { itemId: 'pour-over-kettle', name: 'Pour-over kettle', priceCents: 5_900, initialStock: 1_000_000 },
  { itemId: 'ceramic-mug', name: 'Ceramic mug', priceCents: 1_450, initialStock: 1_000_000 },
  { itemId: 'burr-grinder', name: 'Burr grinder', priceCents: 18_900, initialStock: 1_000_000 },
  {
    itemId: 'espresso-machine',
    name: 'Dual-boiler espresso machine',
    priceCents: 189_000,
    initialStock: 1_000,
  },
  { itemId: 'limited-print', name: 'Limited art print (signed)', priceCents: 9_900, initialStock: 5 },
];

export function catalogItem(itemId: string): CatalogItem | undefined {
  return DEMO_CATALOG.find((item) => item.itemId === itemId);
}
