// The saga's rules, without infrastructure: the rules each decider applies. What each
// service publishes, given / when / then, is in deciders.unit.test.ts.
import { decideReservation } from '../../services/inventory/src/decide';
import { chooseCarrier, pickupDate } from '../../services/shipping/src/decide';
import { composeEmail, recipientOf } from '../../services/notifications/src/compose';
import { nextStatus, priceOrder, requestFingerprint, statusOf } from '../../services/orders/src/decide';
import { catalogItem } from '@orderflow/shared';

describe('inventory', () => {
  const stock = new Map([
    ['a', 5],
    ['b', 1],
  ]);

  test('reserves every line when all are in stock, summing repeated items', () => {
    expect(
      decideReservation(
        [
          { itemId: 'a', quantity: 2 },
          { itemId: 'a', quantity: 3 },
          { itemId: 'b', quantity: 1 },
        ],
        stock,
      ),
    ).toEqual({
      outcome: 'RESERVED',
      lines: [
        { itemId: 'a', quantity: 5 },
        { itemId: 'b', quantity: 1 },
      ],
    });
  });

  test('rejects the whole order when one line is short, naming only the short lines', () => {
    expect(
      decideReservation(
        [
          { itemId: 'a', quantity: 1 },
          { itemId: 'b', quantity: 2 },
        ],
        stock,
      ),
    ).toEqual({
      outcome: 'INSUFFICIENT',
      shortfall: [{ itemId: 'b', requested: 2, available: 1 }],
    });
  });

  test('treats an item it does not stock as having none', () => {
    expect(decideReservation([{ itemId: 'zzz', quantity: 1 }], stock)).toEqual({
      outcome: 'INSUFFICIENT',
      shortfall: [{ itemId: 'zzz', requested: 1, available: 0 }],
    });
  });
});

describe('shipping', () => {
  test('ships up to 10 units by parcel post and more by freight', () => {
    expect(chooseCarrier([{ quantity: 4 }, { quantity: 6 }])).toBe('PostNL');
    expect(chooseCarrier([{ quantity: 11 }])).toBe('DHL Freight');
  });

  test('picks up on the next working day, skipping the weekend', () => {
    expect(pickupDate(new Date('2026-11-23T15:00:00Z')).toISOString()).toBe('2026-11-24T09:00:00.000Z'); // Mon → Tue
    expect(pickupDate(new Date('2026-11-27T15:00:00Z')).toISOString()).toBe('2026-11-30T09:00:00.000Z'); // Fri → Mon
    expect(pickupDate(new Date('2026-11-28T01:00:00Z')).toISOString()).toBe('2026-11-30T09:00:00.000Z'); // Sat → Mon
  });
});

describe('notifications', () => {
  const base = {
    eventId: 'e',
    orderId: 'o-1',
    occurredAt: '2026-11-23T10:00:00.000Z',
    customerId: 'c-1',
    currency: 'EUR',
  };

  test('writes to the customer email, or to a placeholder that never delivers', () => {
    expect(recipientOf({ customerId: 'c-1', email: 'ada@example.com' })).toBe('ada@example.com');
    expect(recipientOf({ customerId: 'c 1/x', email: null })).toBe('c_1_x@customers.invalid');
  });

  test('tells the amount charged in the currency of the payment', () => {
    const email = composeEmail({
      kind: 'PAYMENT_CAPTURED',
      event: { ...base, paymentId: 'p', amountCents: 123456, items: [] },
    });
    expect(email).toMatchObject({ kind: 'PAYMENT_CAPTURED', to: 'c-1@customers.invalid' });
    expect(email.text).toContain('1234.56 EUR');
  });
});

describe('orders', () => {
  test('prices lines from the catalog and totals them', () => {
    const pricing = priceOrder(
      [
        { itemId: 'ceramic-mug', quantity: 3 },
        { itemId: 'espresso-beans-1kg', quantity: 1 },
      ],
      catalogItem,
    );
    expect(pricing).toEqual({
      ok: true,
      items: [
        { itemId: 'ceramic-mug', quantity: 3, unitPriceCents: 1450 },
        { itemId: 'espresso-beans-1kg', quantity: 1, unitPriceCents: 2490 },
      ],
      totalCents: 3 * 1450 + 2490,
    });
  });

  test('refuses unknown and repeated items, naming each', () => {
    expect(
      priceOrder(
        [
          { itemId: 'nope', quantity: 1 },
          { itemId: 'ceramic-mug', quantity: 1 },
          { itemId: 'ceramic-mug', quantity: 2 },
        ],
        catalogItem,
      ),
    ).toEqual({
      ok: false,
      unknownItems: ['nope'],
      duplicateItems: ['ceramic-mug'],
    });
  });

  test('fingerprints what was asked, not how it was spelled', () => {
    const a = requestFingerprint({ customerId: 'c', items: [{ itemId: 'x', quantity: 1 }] });
    const b = requestFingerprint({
      items: [{ quantity: 1, itemId: 'x' }],
      customerId: 'c',
      email: null,
    } as never);
    const c = requestFingerprint({ customerId: 'c', items: [{ itemId: 'x', quantity: 2 }] });
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  test.each([
    [['PaymentCaptured', 'InventoryReserved', 'ShippingScheduled'], 'SHIPPED'],
    [['ShippingScheduled', 'PaymentCaptured', 'InventoryReserved'], 'SHIPPED'],
    [['PaymentDeclined', 'EmailSent'], 'DECLINED'],
    [['PaymentCaptured', 'PaymentRefunded', 'InventoryInsufficient'], 'REFUNDED'],
    [['PaymentCaptured', 'InventoryInsufficient'], 'REJECTED'],
    [['EmailSent'], 'CREATED'],
  ] as const)('events %j, in whatever order they arrive, leave the order %s', (events, status) => {
    expect(statusOf([...events])).toBe(status);
  });

  test('an event never moves an order backwards', () => {
    expect(nextStatus('SHIPPED', 'PaymentCaptured')).toBe('SHIPPED');
  });
});
