// Inbox retention: rows older than INBOX_RETENTION_HOURS are deleted in the background, rows
// inside the window stay and still turn a redelivery into a logged skip, and /metrics shows the
// inbox's size. One handled event is aged past the window in the database (the clock is not
// waited for); the other is redelivered, byte for byte, through Kafka.
import { randomUUID } from 'node:crypto';
import { postJson, startPlatform, waitForStatus, type Platform } from '../support/platform';
import { waitFor } from '../support/wait';

let platform: Platform;

beforeAll(async () => {
  platform = await startPlatform({
    services: ['orders', 'billing'],
    env: { INBOX_RETENTION_HOURS: '1', INBOX_PRUNE_INTERVAL_MS: '200' },
  });
});

afterAll(async () => {
  await platform?.stop();
});

const order = () => ({
  orderId: randomUUID(),
  customerId: `c-${randomUUID().slice(0, 8)}`,
  email: 'ada@example.com',
  items: [{ itemId: 'ceramic-mug', quantity: 1 }],
});

test('old inbox rows go, a redelivery inside the window is still skipped, and the size is a metric', async () => {
  const [old, recent] = [order(), order()];
  for (const o of [old, recent])
    expect((await postJson(`${platform.url('orders')}/orders`, o)).status).toBe(201);
  for (const o of [old, recent]) await waitForStatus(platform, o.orderId, 'PAID');
  const inbox = platform.table('billing', 'inbox');
  const createdOf = (orderId: string) =>
    platform.events.ofOrder(orderId).find((e) => e.type === 'OrderCreated')!;
  const rowOf = async (orderId: string) =>
    (await platform.sql(`SELECT 1 FROM ${inbox} WHERE event_id = $1`, [createdOf(orderId).payload.eventId]))
      .length;
  expect([await rowOf(old.orderId), await rowOf(recent.orderId)]).toEqual([1, 1]);

  await platform.sql(`UPDATE ${inbox} SET handled_at = now() - interval '61 minutes' WHERE event_id = $1`, [
    createdOf(old.orderId).payload.eventId,
  ]);
  await waitFor(async () => (await rowOf(old.orderId)) === 0, { what: 'the aged inbox row to be pruned' });
  expect(await rowOf(recent.orderId)).toBe(1);

  const created = createdOf(recent.orderId);
  const producer = platform.kafka.producer();
  await producer.connect();
  const { codec } = platform.services.orders!.app;
  await producer.send({
    topic: created.topic,
    messages: [{ key: recent.orderId, value: codec.encode('OrderCreated', created.payload as never) }],
  });
  await producer.disconnect();
  const skipLine = `Billing skipped duplicate OrderCreated for orderId ${recent.orderId}`;
  await waitFor(() => platform.logs.messages().includes(skipLine), { what: 'the redelivery to be skipped' });
  const payments = await platform.sql(
    `SELECT 1 FROM ${platform.table('billing', 'payments')} WHERE order_id = $1`,
    [recent.orderId],
  );
  expect(payments).toHaveLength(1);

  const [row] = await platform.sql<{ n: number }>(`SELECT count(*)::int AS n FROM ${inbox}`);
  const n = row!.n;
  await waitFor(
    async () => {
      const text = await (await fetch(`${platform.url('billing')}/metrics`)).text();
      return new RegExp(`^orderflow_inbox_rows\\{service="billing"\\} ${n}$`, 'm').test(text);
    },
    { what: `orderflow_inbox_rows to show ${n}` },
  );
});
