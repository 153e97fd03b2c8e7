// POST /orders on the real stack: what a client gets back, and that a refused request
// writes and publishes nothing.
import { randomUUID } from 'node:crypto';
import { bearer, getJson, postJson, startPlatform, type Platform } from '../support/platform';
import { waitFor } from '../support/wait';

let platform: Platform;
let ordersUrl: string;

beforeAll(async () => {
  platform = await startPlatform({ services: ['orders'] });
  ordersUrl = `${platform.url('orders')}/orders`;
});

afterAll(async () => {
  await platform?.stop();
});

async function footprint() {
  const [orders] = await platform.sql<{ n: string }>(
    `SELECT count(*) AS n FROM ${platform.table('orders', 'orders')}`,
  );
  const [events] = await platform.sql<{ n: string }>(
    `SELECT count(*) AS n FROM ${platform.table('orders', 'order_events')}`,
  );
  const [outbox] = await platform.sql<{ n: string }>(
    `SELECT count(*) AS n FROM ${platform.table('orders', 'outbox')}`,
  );
  return {
    orders: Number(orders!.n),
    events: Number(events!.n),
    outbox: Number(outbox!.n),
    published: platform.events.count('OrderCreated'),
  };
}

const valid = () => ({
  orderId: randomUUID(),
  customerId: 'c-42',
  email: 'ada@example.com',
  items: [{ itemId: 'ceramic-mug', quantity: 2 }],
});

test('a valid order is answered 201 with catalog prices, stored, and published once', async () => {
  const body = valid();
  const res = await postJson(ordersUrl, body, { 'x-correlation-id': 'trace-1' });
  expect(res.status).toBe(201);
  expect(res.body).toMatchObject({
    orderId: body.orderId,
    status: 'CREATED',
    items: [{ itemId: 'ceramic-mug', quantity: 2, unitPriceCents: 1450 }],
    totalCents: 2900,
    currency: 'EUR',
  });
  const published = await waitFor(
    () => platform.events.ofOrder(body.orderId).find((e) => e.type === 'OrderCreated'),
    { what: 'OrderCreated on Kafka' },
  );
  expect(published.payload).toMatchObject({ orderId: body.orderId, totalCents: 2900, customerId: 'c-42' });
  expect(published.headers['x-correlation-id']).toBe('trace-1');
  expect(published.key).toBe(body.orderId);
});

test('the same orderId with the same body is answered 200 with the existing order, and nothing new is written', async () => {
  const body = valid();
  expect((await postJson(ordersUrl, body)).status).toBe(201);
  const before = await footprint();
  const again = await postJson(ordersUrl, { ...body, items: [...body.items] });
  expect(again.status).toBe(200);
  expect(again.body.orderId).toBe(body.orderId);
  expect((await footprint()).orders).toBe(before.orders);
  expect((await footprint()).events).toBe(before.events);
});

test('the same orderId with a different body is a 409 conflict', async () => {
  const body = valid();
  await postJson(ordersUrl, body);
  const res = await postJson(ordersUrl, { ...body, items: [{ itemId: 'ceramic-mug', quantity: 3 }] });
  expect(res.status).toBe(409);
  expect(res.body.error.code).toBe('CONFLICT');
});

test.each([
  ['malformed JSON', 400, 'VALIDATION_FAILED', '{"customerId": '],
  [
    'a missing customer and a zero quantity',
    400,
    'VALIDATION_FAILED',
    { items: [{ itemId: 'ceramic-mug', quantity: 0 }] },
  ],
  [
    'an unknown field',
    400,
    'VALIDATION_FAILED',
    { customerId: 'c', items: [{ itemId: 'ceramic-mug', quantity: 1 }], priceCents: 1 },
  ],
  [
    'an item not in the catalog',
    422,
    'UNPROCESSABLE',
    { customerId: 'c', items: [{ itemId: 'unicorn', quantity: 1 }] },
  ],
  ['a JSON array', 400, 'VALIDATION_FAILED', []],
])('%s is refused with %i %s and changes nothing', async (_what, status, code, body) => {
  const before = await footprint();
  const res = await postJson(ordersUrl, body);
  expect(res.status).toBe(status);
  expect(res.body.error.code).toBe(code);
  expect(await footprint()).toEqual(before);
});

test('schema violations list each failing path', async () => {
  const res = await postJson(ordersUrl, { items: [{ itemId: 'ceramic-mug', quantity: 0 }], extra: true });
  expect(res.status).toBe(400);
  const paths = res.body.error.details.map((d: { path: string }) => d.path);
  expect(paths).toEqual(expect.arrayContaining(['/customerId', '/items/0/quantity', '/extra']));
});

test('an unknown item is named in the 422 answer', async () => {
  const res = await postJson(ordersUrl, { customerId: 'c', items: [{ itemId: 'unicorn', quantity: 1 }] });
  expect(res.body.error.details).toEqual([{ itemId: 'unicorn', problem: 'not in the catalog' }]);
});

test('another content type is a 415 and a body over the limit a 413', async () => {
  const before = await footprint();
  const text = await fetch(ordersUrl, {
    method: 'POST',
    headers: { 'content-type': 'text/plain', ...(await bearer('c')) },
    body: 'hello',
  });
  expect(text.status).toBe(415);
  expect(((await text.json()) as { error: { code: string } }).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  const huge = await postJson(ordersUrl, { customerId: 'x'.repeat(100_000), items: [] });
  expect(huge.status).toBe(413);
  expect(huge.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  expect(await footprint()).toEqual(before);
});

test('an unknown order and an unknown route are 404 with a JSON body', async () => {
  const order = await getJson(`${ordersUrl}/${randomUUID()}`);
  expect(order.status).toBe(404);
  expect(order.body.error.code).toBe('NOT_FOUND');
  const route = await getJson(`${platform.url('orders')}/nope`);
  expect(route.status).toBe(404);
  expect(route.body.error.code).toBe('NOT_FOUND');
});

test('an order shows its event history, starting with OrderCreated', async () => {
  const body = valid();
  await postJson(ordersUrl, body);
  const res = await getJson(`${ordersUrl}/${body.orderId}/events`);
  expect(res.status).toBe(200);
  expect(res.body.events[0]).toMatchObject({
    type: 'OrderCreated',
    payload: { orderId: body.orderId, totalCents: 2900 },
  });
});

test('health and metrics answer', async () => {
  expect((await getJson(`${platform.url('orders')}/health/live`)).status).toBe(200);
  const ready = await waitFor(
    async () => {
      const r = await getJson(`${platform.url('orders')}/health/ready`);
      return r.status === 200 ? r : undefined;
    },
    { what: 'orders ready' },
  );
  expect(ready.body.checks).toEqual({ database: 'ok', schemaRegistry: 'ok', kafka: 'ok' });
  const metrics = await (await fetch(`${platform.url('orders')}/metrics`)).text();
  expect(metrics).toContain('orderflow_http_requests_total{method="POST",route="/orders",status="201"');
});
