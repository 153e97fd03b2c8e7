// Every service's /metrics moves by exactly what a known set of orders should cause.
import { randomUUID } from 'node:crypto';
import type { ServiceName } from '@orderflow/shared';
import { postJson, startPlatform, waitForStatus, type Platform } from '../support/platform';
import { waitFor } from '../support/wait';

let platform: Platform;

beforeAll(async () => {
  platform = await startPlatform({ env: { PAYMENT_LIMIT_CENTS: '100000' } });
});

afterAll(async () => {
  await platform?.stop();
});

/** Reads `name{labels} value` lines into a lookup by name and label subset. */
async function scrape(service: ServiceName) {
  const text = await (await fetch(`${platform.url(service)}/metrics`)).text();
  const samples = text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
      if (!match) throw new Error(`not a Prometheus sample: ${line}`);
      const labels = Object.fromEntries(
        [...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
      );
      return { name: match[1], labels, value: Number(match[3]) };
    });
  return (name: string, labels: Record<string, string> = {}) =>
    samples
      .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
      .reduce((sum, s) => sum + s.value, 0);
}

test('after two shipped orders and one declined, every counter shows exactly that', async () => {
  const order = (itemId: string, quantity: number) => ({
    orderId: randomUUID(),
    customerId: 'c-metrics',
    items: [{ itemId, quantity }],
  });
  const shipped = [order('ceramic-mug', 1), order('burr-grinder', 1)];
  const declined = order('espresso-machine', 1); // 1,890.00 EUR > the 1,000.00 EUR limit
  for (const o of [...shipped, declined])
    expect((await postJson(`${platform.url('orders')}/orders`, o)).status).toBe(201);
  for (const o of shipped) await waitForStatus(platform, o.orderId, 'SHIPPED');
  await waitForStatus(platform, declined.orderId, 'DECLINED');
  // EmailSent for shipping is the last event of a shipped order; wait until orders counted all of them.
  await waitFor(
    async () =>
      (await scrape('orders'))('orderflow_events_consumed_total', { event_type: 'EmailSent' }) === 5,
    { what: 'orders to see 5 EmailSent' },
  );

  const orders = await scrape('orders');
  expect(orders('orderflow_events_produced_total', { event_type: 'OrderCreated' })).toBe(3);
  expect(orders('orderflow_http_requests_total', { method: 'POST', route: '/orders', status: '201' })).toBe(
    3,
  );
  expect(orders('orderflow_http_request_duration_seconds_count', { method: 'POST', route: '/orders' })).toBe(
    3,
  );
  expect(orders('orderflow_saga_duration_seconds_count', { outcome: 'shipped' })).toBe(2);
  expect(orders('orderflow_saga_duration_seconds_count', { outcome: 'declined' })).toBe(1);
  expect(orders('orderflow_outbox_backlog_messages')).toBe(0);

  const billing = await scrape('billing');
  expect(billing('orderflow_events_consumed_total', { event_type: 'OrderCreated' })).toBe(3);
  expect(billing('orderflow_events_produced_total', { event_type: 'PaymentCaptured' })).toBe(2);
  expect(billing('orderflow_events_produced_total', { event_type: 'PaymentDeclined' })).toBe(1);
  expect(billing('orderflow_handler_duration_seconds_count', { event_type: 'OrderCreated' })).toBe(3);

  const inventory = await scrape('inventory');
  expect(inventory('orderflow_events_consumed_total', { event_type: 'PaymentCaptured' })).toBe(2);
  expect(inventory('orderflow_events_produced_total', { event_type: 'InventoryReserved' })).toBe(2);

  const shipping = await scrape('shipping');
  expect(shipping('orderflow_events_consumed_total', { event_type: 'InventoryReserved' })).toBe(2);
  expect(shipping('orderflow_events_produced_total', { event_type: 'ShippingScheduled' })).toBe(2);

  const notifications = await scrape('notifications');
  expect(notifications('orderflow_events_consumed_total')).toBe(5);
  expect(notifications('orderflow_events_produced_total', { event_type: 'EmailSent' })).toBe(5);

  for (const service of ['orders', 'billing', 'inventory', 'shipping', 'notifications'] as const) {
    const metrics = await scrape(service);
    expect([
      service,
      metrics('orderflow_dlq_messages_total'),
      metrics('orderflow_duplicates_skipped_total'),
    ]).toEqual([service, 0, 0]);
    expect(metrics('process_resident_memory_bytes')).toBeGreaterThan(0);
  }
});
