// Every service's decider, given / when / then: given what came before (earlier events, or the
// state they left), when an event or a command arrives, then exactly these events are
// published. Time and ids are fixed, so the expected events are whole values.
import type { InventoryReserved, OrderCreated, PaymentCaptured } from '@orderflow/shared';
import { catalogItem } from '@orderflow/shared';
import { decideCharge, decideRefund, type Payment } from '../../services/billing/src/decide';
import { decidePaidOrder } from '../../services/inventory/src/decide';
import { decideNotification } from '../../services/notifications/src/decide';
import { decideOrder, statusOf } from '../../services/orders/src/decide';
import { decideShipment } from '../../services/shipping/src/decide';
import { fixedStamps } from '../support/stamps';

const AT = '2026-11-27T15:00:00.000Z'; // a Friday afternoon
const customer = { customerId: 'c-1', email: 'ada@example.com' };
const orderCreated: OrderCreated = {
  eventId: 'e-0',
  orderId: 'o-1',
  occurredAt: '2026-11-27T14:00:00.000Z',
  ...customer,
  items: [{ itemId: 'ceramic-mug', quantity: 2, unitPriceCents: 1450 }],
  totalCents: 2900,
  currency: 'EUR',
};
const paymentCaptured: PaymentCaptured = {
  eventId: 'e-1',
  orderId: 'o-1',
  occurredAt: AT,
  ...customer,
  paymentId: 'p-1',
  amountCents: 2900,
  currency: 'EUR',
  items: [{ itemId: 'ceramic-mug', quantity: 2 }],
};

describe('orders', () => {
  test('when a CreateOrderRequest, then OrderCreated priced from the catalog under a new orderId', () => {
    const request = { ...customer, items: [{ itemId: 'ceramic-mug', quantity: 2 }] };
    expect(decideOrder(request, catalogItem, fixedStamps(AT))).toEqual({
      ok: true,
      event: {
        type: 'OrderCreated',
        payload: {
          eventId: 'id-2',
          orderId: 'id-1',
          occurredAt: AT,
          ...customer,
          items: [{ itemId: 'ceramic-mug', quantity: 2, unitPriceCents: 1450 }],
          totalCents: 2900,
          currency: 'EUR',
        },
      },
    });
  });

  test('when a request names its orderId and an unknown item, then no event but the item named', () => {
    const request = { orderId: 'o-9', customerId: 'c-1', items: [{ itemId: 'nope', quantity: 1 }] };
    expect(decideOrder(request, catalogItem, fixedStamps(AT))).toEqual({
      ok: false,
      unknownItems: ['nope'],
      duplicateItems: [],
    });
  });

  test('given OrderCreated, PaymentCaptured and InventoryInsufficient, when PaymentRefunded, then REFUNDED', () => {
    expect(statusOf(['OrderCreated', 'PaymentCaptured', 'InventoryInsufficient', 'PaymentRefunded'])).toBe(
      'REFUNDED',
    );
  });
});

describe('billing', () => {
  test('when OrderCreated at exactly the limit, then PaymentCaptured for its total and items', () => {
    expect(decideCharge(orderCreated, { limitCents: 2900, paymentId: 'p-1' }, fixedStamps(AT))).toEqual({
      type: 'PaymentCaptured',
      payload: {
        eventId: 'id-1',
        orderId: 'o-1',
        occurredAt: AT,
        ...customer,
        paymentId: 'p-1',
        amountCents: 2900,
        currency: 'EUR',
        items: [{ itemId: 'ceramic-mug', quantity: 2 }],
      },
    });
  });

  test('when OrderCreated one cent over the limit, then PaymentDeclined with LIMIT_EXCEEDED', () => {
    expect(decideCharge(orderCreated, { limitCents: 2899, paymentId: 'p-1' }, fixedStamps(AT))).toEqual({
      type: 'PaymentDeclined',
      payload: {
        eventId: 'id-1',
        orderId: 'o-1',
        occurredAt: AT,
        ...customer,
        amountCents: 2900,
        currency: 'EUR',
        reason: 'LIMIT_EXCEEDED',
      },
    });
  });

  const captured: Payment = {
    orderId: 'o-1',
    paymentId: 'p-1',
    ...customer,
    amountCents: 2900,
    currency: 'EUR',
    status: 'CAPTURED',
  };
  const shortage = {
    eventId: 'e-2',
    orderId: 'o-1',
    occurredAt: AT,
    items: [{ itemId: 'ceramic-mug', requested: 2, available: 0 }],
  };

  test('given PaymentCaptured, when InventoryInsufficient, then PaymentRefunded in full', () => {
    expect(decideRefund(captured, shortage, fixedStamps(AT))).toEqual([
      {
        type: 'PaymentRefunded',
        payload: {
          eventId: 'id-1',
          orderId: 'o-1',
          occurredAt: AT,
          paymentId: 'p-1',
          ...customer,
          amountCents: 2900,
          currency: 'EUR',
          reason: 'OUT_OF_STOCK',
        },
      },
    ]);
  });

  test.each([
    ['no payment', undefined],
    ['PaymentDeclined', { ...captured, status: 'DECLINED' as const }],
    ['PaymentRefunded already', { ...captured, status: 'REFUNDED' as const }],
  ])('given %s, when InventoryInsufficient, then nothing', (_given, payment) => {
    expect(decideRefund(payment, shortage, fixedStamps(AT))).toEqual([]);
  });
});

describe('inventory', () => {
  test('given stock for every line, when PaymentCaptured, then InventoryReserved for every line', () => {
    const stock = new Map([['ceramic-mug', 2]]);
    expect(decidePaidOrder(paymentCaptured, stock, 'r-1', fixedStamps(AT))).toEqual({
      type: 'InventoryReserved',
      payload: {
        eventId: 'id-1',
        orderId: 'o-1',
        occurredAt: AT,
        reservationId: 'r-1',
        ...customer,
        items: [{ itemId: 'ceramic-mug', quantity: 2 }],
      },
    });
  });

  test('given one unit short, when PaymentCaptured, then InventoryInsufficient naming the short line', () => {
    const stock = new Map([['ceramic-mug', 1]]);
    expect(decidePaidOrder(paymentCaptured, stock, 'r-1', fixedStamps(AT))).toEqual({
      type: 'InventoryInsufficient',
      payload: {
        eventId: 'id-1',
        orderId: 'o-1',
        occurredAt: AT,
        items: [{ itemId: 'ceramic-mug', requested: 2, available: 1 }],
      },
    });
  });
});

describe('shipping', () => {
  test('when InventoryReserved on a Friday, then ShippingScheduled by parcel post for Monday 09:00', () => {
    const reserved: InventoryReserved = {
      eventId: 'e-3',
      orderId: 'o-1',
      occurredAt: AT,
      reservationId: 'r-1',
      ...customer,
      items: [{ itemId: 'ceramic-mug', quantity: 2 }],
    };
    expect(decideShipment(reserved, fixedStamps(AT))).toEqual({
      type: 'ShippingScheduled',
      payload: {
        eventId: 'id-1',
        orderId: 'o-1',
        occurredAt: AT,
        ...customer,
        shipmentId: 'id-2',
        carrier: 'PostNL',
        scheduledFor: '2026-11-30T09:00:00.000Z',
        items: [{ itemId: 'ceramic-mug', quantity: 2 }],
      },
    });
  });
});

describe('notifications', () => {
  test('when PaymentCaptured, then EmailSent to the customer, recording the email it sends', () => {
    const { email, event } = decideNotification(
      { kind: 'PAYMENT_CAPTURED', event: paymentCaptured },
      fixedStamps(AT),
    );
    expect(event).toEqual({
      type: 'EmailSent',
      payload: {
        eventId: 'id-2',
        orderId: 'o-1',
        occurredAt: AT,
        notificationId: 'id-1',
        to: 'ada@example.com',
        kind: 'PAYMENT_CAPTURED',
        subject: 'Payment received for order o-1',
      },
    });
    expect(email.text).toBe('We charged 29.00 EUR for order o-1.');
  });
});
