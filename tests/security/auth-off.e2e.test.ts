// AUTH_MODE=off (demos only): the saga runs as it did before authentication, without any
// token, and every service says so with a warning at startup.
import { randomUUID } from 'node:crypto';
import { SERVICE_NAMES } from '@orderflow/shared';
import { startPlatform, waitForStatus, type Platform } from '../support/platform';

let platform: Platform;

beforeAll(async () => {
  platform = await startPlatform({ env: { AUTH_MODE: 'off' } });
});

afterAll(async () => {
  await platform?.stop();
});

test('with AUTH_MODE=off every service warns at startup and an order without a token ships', async () => {
  const warned = platform.logs.lines
    .filter((l) => l.level === 'warn' && String(l.msg).startsWith('AUTH_MODE=off'))
    .map((l) => l.service);
  expect(warned.sort()).toEqual([...SERVICE_NAMES].sort());

  const orderId = randomUUID();
  const placed = await fetch(`${platform.url('orders')}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ orderId, customerId: 'ada', items: [{ itemId: 'ceramic-mug', quantity: 1 }] }),
  });
  expect(placed.status).toBe(201);
  await waitForStatus(platform, orderId, 'SHIPPED'); // reads with the test client's token: ignored when off
  for (const path of [`/orders/${orderId}`, `/orders/${orderId}/events`]) {
    expect((await fetch(`${platform.url('orders')}${path}`)).status).toBe(200);
  }
  expect((await fetch(`${platform.url('billing')}/payments/${orderId}`)).status).toBe(200);
  expect((await fetch(`${platform.url('shipping')}/shipments/${orderId}`)).status).toBe(200);
});

test('with auth on (the default) no service warns about it', async () => {
  const on = await startPlatform({ services: ['inventory'] });
  try {
    expect(on.logs.messages().filter((m) => m.startsWith('AUTH_MODE=off'))).toEqual([]);
    expect(on.logs.messages()).toContain('inventory running');
  } finally {
    await on.stop();
  }
});
