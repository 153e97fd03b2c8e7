// `npm run orders:trace` shows a shipped order's journey through every service, in time
// order, and says clearly when the order is unknown or a service cannot be asked.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { bearer, getJson, postJson, startPlatform, waitForStatus, type Platform } from '../support/platform';
import { waitFor } from '../support/wait';
import { runScript } from './run-script';

let platform: Platform;
let operatorToken: string;

beforeAll(async () => {
  platform = await startPlatform();
  operatorToken = (await bearer('ops-trace', { operator: true })).authorization!.replace('Bearer ', '');
});

afterAll(async () => {
  await platform?.stop();
});

function urls(overrides: Record<string, string> = {}) {
  return {
    ORDERS_URL: platform.url('orders'),
    BILLING_URL: platform.url('billing'),
    SHIPPING_URL: platform.url('shipping'),
    NOTIFICATIONS_URL: platform.url('notifications'),
    ORDERFLOW_TOKEN: operatorToken,
    ...overrides,
  };
}

/** A local URL where nothing listens. */
async function closedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

async function shippedOrder(): Promise<string> {
  const orderId = randomUUID();
  const order = {
    orderId,
    customerId: 'c-trace',
    email: 'ada@example.com',
    items: [{ itemId: 'ceramic-mug', quantity: 2 }],
  };
  expect((await postJson(`${platform.url('orders')}/orders`, order)).status).toBe(201);
  await waitForStatus(platform, orderId, 'SHIPPED');
  await waitFor(
    async () =>
      (await getJson(`${platform.url('orders')}/orders/${orderId}`)).body.timeline.filter(
        (t: any) => t.type === 'EmailSent',
      ).length === 2,
    {
      what: 'orders to record both emails',
    },
  );
  return orderId;
}

test('the trace of a shipped order lists every step of its saga in time order, and what each service holds about it', async () => {
  const orderId = await shippedOrder();
  const trace = await runScript('trace.ts', [orderId], urls());
  expect([trace.code, trace.stderr]).toEqual([0, '']);
  const out = trace.stdout;
  expect(out).toContain(`order ${orderId}  status SHIPPED`);
  expect(out).toContain('customer c-trace <ada@example.com>  2 × ceramic-mug  total 29.00 EUR');
  // This platform runs with tracing off (tests/e2e/tracing.e2e.test.ts shows the trace id and link).
  expect(out).toContain(
    'trace none: its events carry no traceparent (tracing was off when they were published)',
  );

  const rows = out.split('\n').filter((l) => /^\d{4}-\d\d-\d\dT\S+\s+\+\d+\.\d{3}s/.test(l));
  const steps = rows.map((l) =>
    l
      .split(/\s{2,}/)
      .slice(2, 4)
      .join(' '),
  );
  // Emails run alongside the rest of the saga; the other steps follow one another.
  expect(steps.filter((s) => !s.endsWith('EmailSent'))).toEqual([
    'orders OrderCreated',
    'billing PaymentCaptured',
    'inventory InventoryReserved',
    'shipping ShippingScheduled',
  ]);
  expect(steps.filter((s) => s === 'notifications EmailSent')).toHaveLength(2);
  const times = rows.map((l) => Date.parse(l.slice(0, 24)));
  expect(times).toEqual([...times].sort((a, b) => a - b));
  expect(out).toMatch(/order placed: 2 × ceramic-mug, total 29\.00 EUR/);
  expect(out).toMatch(/email PAYMENT_CAPTURED to ada@example\.com/);

  expect(out).toMatch(/^billing\s+\S+\s+payment CAPTURED 29\.00 EUR$/m);
  expect(out).toMatch(/^shipping\s+\S+\s+shipment by \S+, pickup \d{4}-\d\d-\d\d: 2 × ceramic-mug$/m);
  expect(
    out.match(/^notifications\s+\S+\s+email (PAYMENT_CAPTURED|SHIPPING_SCHEDULED) to ada@example\.com/gm),
  ).toHaveLength(2);
});

test('a service that is down is named in its row and the rest of the trace is still shown', async () => {
  const orderId = await shippedOrder();
  const down = await closedUrl();
  const trace = await runScript('trace.ts', [orderId], urls({ BILLING_URL: down }));
  expect(trace.code).toBe(0);
  expect(trace.stdout).toMatch(
    new RegExp(`^billing\\s+-\\s+UNREACHABLE: billing is unreachable at ${down} \\(ECONNREFUSED\\)$`, 'm'),
  );
  expect(trace.stdout).toContain('status SHIPPED');
  expect(trace.stdout).toMatch(/^shipping\s+\S+\s+shipment by/m);
});

test('an unknown order, or orders being down, ends with a clear message and exit code 1', async () => {
  const unknown = randomUUID();
  const missing = await runScript('trace.ts', [unknown], urls());
  expect(missing.code).toBe(1);
  expect(missing.stderr).toBe(`no order ${unknown} at ${platform.url('orders')} (orders answered 404)`);

  const down = await closedUrl();
  const unreachable = await runScript('trace.ts', [unknown], urls({ ORDERS_URL: down }));
  expect(unreachable.code).toBe(1);
  expect(unreachable.stderr).toBe(`orders is unreachable at ${down} (ECONNREFUSED)`);

  const usage = await runScript('trace.ts', [], urls());
  expect(usage.code).toBe(2);
  expect(usage.stderr).toContain('usage: npm run orders:trace -- <orderId>');
});
