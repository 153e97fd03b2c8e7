// The whole saga on the real stack: HTTP intake → billing → inventory → shipping →
// notifications, with the order's status projected back in orders.
import { randomUUID } from 'node:crypto';
import { getJson, postJson, startPlatform, waitForStatus, type Platform } from '../support/platform';
import { waitFor } from '../support/wait';

let platform: Platform;

beforeAll(async () => {
  platform = await startPlatform({ env: { PAYMENT_LIMIT_CENTS: '500000' } });
});

afterAll(async () => {
  await platform?.stop();
});

function order(items: { itemId: string; quantity: number }[], extra: Record<string, unknown> = {}) {
  return {
    orderId: randomUUID(),
    customerId: `c-${randomUUID().slice(0, 8)}`,
    email: 'ada@example.com',
    items,
    ...extra,
  };
}

test('several orders each go the whole way to SHIPPED with one payment, one reservation, one shipment and their emails', async () => {
  const placed = [
    order([{ itemId: 'ceramic-mug', quantity: 2 }]),
    order([
      { itemId: 'espresso-beans-1kg', quantity: 1 },
      { itemId: 'ceramic-mug', quantity: 1 },
    ]),
    order([{ itemId: 'burr-grinder', quantity: 1 }]),
  ];
  for (const o of placed) expect((await postJson(`${platform.url('orders')}/orders`, o)).status).toBe(201);

  for (const o of placed) {
    const shipped = await waitForStatus(platform, o.orderId, 'SHIPPED');
    expect(shipped.timeline.map((t: { type: string }) => t.type)).toEqual(
      expect.arrayContaining(['OrderCreated', 'PaymentCaptured', 'InventoryReserved', 'ShippingScheduled']),
    );
    await waitFor(() => platform.events.count('EmailSent', o.orderId) === 2, {
      what: `two emails for ${o.orderId}`,
    });
    expect(platform.events.count('PaymentCaptured', o.orderId)).toBe(1);
    expect(platform.events.count('InventoryReserved', o.orderId)).toBe(1);
    expect(platform.events.count('ShippingScheduled', o.orderId)).toBe(1);
    const shipment = await getJson(`${platform.url('shipping')}/shipments/${o.orderId}`);
    expect(shipment.status).toBe(200);
    const payment = await getJson(`${platform.url('billing')}/payments/${o.orderId}`);
    expect(payment.body).toMatchObject({ status: 'CAPTURED', amountCents: shipped.totalCents });
  }
});

test('every PaymentCaptured leads to an EmailSent about it', async () => {
  const o = order([{ itemId: 'pour-over-kettle', quantity: 1 }]);
  await postJson(`${platform.url('orders')}/orders`, o);
  await waitForStatus(platform, o.orderId, 'SHIPPED');
  const captured = platform.events.events
    .filter((e) => e.type === 'PaymentCaptured')
    .map((e) => String(e.payload.orderId));
  await waitFor(
    () =>
      captured.every((id) =>
        platform.events.events.some(
          (e) => e.type === 'EmailSent' && e.payload.orderId === id && e.payload.kind === 'PAYMENT_CAPTURED',
        ),
      ),
    { what: 'an EmailSent for every PaymentCaptured' },
  );
  const notes = await getJson(`${platform.url('notifications')}/notifications?orderId=${o.orderId}`);
  expect(notes.body.notifications.map((n: { kind: string }) => n.kind).sort()).toEqual([
    'PAYMENT_CAPTURED',
    'SHIPPING_SCHEDULED',
  ]);
});

test('a quantity larger than the stock ends REFUNDED, with InventoryInsufficient, PaymentRefunded and an email', async () => {
  const o = order([
    { itemId: 'espresso-machine', quantity: 2 },
    { itemId: 'limited-print', quantity: 6 },
  ]);
  expect((await postJson(`${platform.url('orders')}/orders`, o)).status).toBe(201);
  const refunded = await waitForStatus(platform, o.orderId, 'REFUNDED');
  expect(refunded.timeline.map((t: { type: string }) => t.type)).toEqual(
    expect.arrayContaining(['InventoryInsufficient', 'PaymentRefunded']),
  );
  const insufficient = platform.events.ofOrder(o.orderId).find((e) => e.type === 'InventoryInsufficient');
  expect(insufficient?.payload.items).toEqual([{ itemId: 'limited-print', requested: 6, available: 5 }]);
  await waitFor(
    () =>
      platform.events.events.some(
        (e) =>
          e.type === 'EmailSent' && e.payload.orderId === o.orderId && e.payload.kind === 'PAYMENT_REFUNDED',
      ),
    {
      what: 'the refund email',
    },
  );
  const stock = await getJson(`${platform.url('inventory')}/inventory`);
  const machine = stock.body.items.find((i: { itemId: string }) => i.itemId === 'espresso-machine');
  expect(machine.reserved).toBe(0); // nothing of a rejected order stays reserved
});

test('a total over the payment limit ends DECLINED and nothing is reserved', async () => {
  const o = order([{ itemId: 'espresso-machine', quantity: 3 }]); // 5,670.00 EUR > 5,000.00 EUR limit
  await postJson(`${platform.url('orders')}/orders`, o);
  await waitForStatus(platform, o.orderId, 'DECLINED');
  await waitFor(
    () =>
      platform.events.events.some(
        (e) =>
          e.type === 'EmailSent' && e.payload.orderId === o.orderId && e.payload.kind === 'PAYMENT_DECLINED',
      ),
    {
      what: 'the decline email',
    },
  );
  expect(platform.events.count('PaymentCaptured', o.orderId)).toBe(0);
  expect(platform.events.count('InventoryReserved', o.orderId)).toBe(0);
});

test('republishing an OrderCreated straight to Kafka does not charge twice, and the skip is logged', async () => {
  const o = order([{ itemId: 'ceramic-mug', quantity: 1 }]);
  await postJson(`${platform.url('orders')}/orders`, o);
  await waitForStatus(platform, o.orderId, 'SHIPPED');
  const created = platform.events.ofOrder(o.orderId).find((e) => e.type === 'OrderCreated')!;
  const producer = platform.kafka.producer();
  await producer.connect();
  // Same bytes again (a redelivery) and a new event for the same orderId (a republish).
  const { codec } = platform.services.orders!.app;
  await producer.send({
    topic: created.topic,
    messages: [
      { key: o.orderId, value: codec.encode('OrderCreated', created.payload as never) },
      {
        key: o.orderId,
        value: codec.encode('OrderCreated', { ...created.payload, eventId: randomUUID() } as never),
      },
    ],
  });
  await producer.disconnect();

  const skipLine = `Billing skipped duplicate OrderCreated for orderId ${o.orderId}`;
  await waitFor(() => platform.logs.messages().filter((m) => m === skipLine).length >= 2, {
    what: 'both skips to be logged',
  });
  const payments = await platform.sql(
    `SELECT * FROM ${platform.table('billing', 'payments')} WHERE order_id = $1`,
    [o.orderId],
  );
  expect(payments).toHaveLength(1);
  expect(platform.events.count('PaymentCaptured', o.orderId)).toBe(1);
});

test('20 orders racing for the last 5 units of an item reserve exactly 5', async () => {
  const racers = Array.from({ length: 20 }, () => order([{ itemId: 'limited-print', quantity: 1 }]));
  await Promise.all(racers.map((o) => postJson(`${platform.url('orders')}/orders`, o)));
  const finals = await Promise.all(
    racers.map((o) =>
      waitFor(
        async () => {
          const { body } = await getJson(`${platform.url('orders')}/orders/${o.orderId}`);
          return ['SHIPPED', 'REFUNDED'].includes(body?.status) ? (body.status as string) : undefined;
        },
        { timeoutMs: 90_000, what: `order ${o.orderId} to finish` },
      ),
    ),
  );
  expect(finals.filter((s) => s === 'SHIPPED')).toHaveLength(5);
  expect(finals.filter((s) => s === 'REFUNDED')).toHaveLength(15);
  const [print] = await platform.sql<{ available: number; reserved: number }>(
    `SELECT available, reserved FROM ${platform.table('inventory', 'stock')} WHERE item_id = 'limited-print'`,
  );
  expect(print).toEqual({ available: 0, reserved: 5 });
});
