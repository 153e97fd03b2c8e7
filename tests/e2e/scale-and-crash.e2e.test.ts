// Effectively once under scale-out and crashes: two billing instances in one group, and
// a billing process killed with SIGKILL mid-stream and started again.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { startPlatform, type Platform } from '../support/platform';
import { waitFor } from '../support/wait';

let platform: Platform;

beforeAll(async () => {
  // orders is here only for its codec and topics; billing instances are started per test.
  platform = await startPlatform({ services: ['orders'] });
});

afterAll(async () => {
  await platform?.stop();
});

async function publishOrders(count: number): Promise<string[]> {
  const { codec } = platform.services.orders!.app;
  const orderIds = Array.from({ length: count }, () => randomUUID());
  const producer = platform.kafka.producer();
  await producer.connect();
  await producer.send({
    topic: `${platform.prefix}orders.events`,
    messages: orderIds.map((orderId) => ({
      key: orderId,
      value: codec.encode('OrderCreated', {
        eventId: randomUUID(),
        orderId,
        occurredAt: new Date().toISOString(),
        customerId: 'c-scale',
        email: null,
        items: [{ itemId: 'ceramic-mug', quantity: 1, unitPriceCents: 1450 }],
        totalCents: 1450,
        currency: 'EUR',
      }),
    })),
  });
  await producer.disconnect();
  return orderIds;
}

async function paymentsFor(orderIds: string[]): Promise<number> {
  const [row] = await platform.sql<{ n: string }>(
    `SELECT count(*) AS n FROM ${platform.table('billing', 'payments')} WHERE order_id = ANY($1)`,
    [orderIds],
  );
  return Number(row?.n ?? 0);
}

/** Each order has exactly one PaymentCaptured eventId on Kafka (a re-sent copy carries the same id). */
async function expectOnePaymentEventEach(orderIds: string[]): Promise<void> {
  await waitFor(() => orderIds.every((id) => platform.events.count('PaymentCaptured', id) >= 1), {
    timeoutMs: 60_000,
    what: 'a PaymentCaptured per order',
  });
  for (const id of orderIds) {
    const eventIds = new Set(
      platform.events
        .ofOrder(id)
        .filter((e) => e.type === 'PaymentCaptured')
        .map((e) => e.payload.eventId),
    );
    expect(eventIds.size).toBe(1);
  }
}

test('two billing instances in one consumer group share 200 orders and charge each exactly once', async () => {
  const first = await platform.startService('billing');
  const second = await platform.startService('billing');
  const orderIds = await publishOrders(200);
  await waitFor(async () => (await paymentsFor(orderIds)) === 200, {
    timeoutMs: 90_000,
    what: '200 payments',
  });

  const admin = platform.kafka.admin();
  await admin.connect();
  const { groups } = await admin.describeGroups([`${platform.prefix}orderflow.billing`]);
  await admin.disconnect();
  expect(groups[0]!.members).toHaveLength(2);
  await expectOnePaymentEventEach(orderIds);
  expect(await paymentsFor(orderIds)).toBe(200);
  await Promise.all([first.stop(), second.stop()]);
});

function startBillingProcess(): ChildProcess {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(__dirname, '../../services/billing/src/main.ts')],
    {
      env: { ...process.env, ...platform.env, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  return child;
}

test('a billing process killed mid-stream and restarted loses nothing and doubles nothing', async () => {
  const total = 2000; // enough that the kill lands mid-stream
  const orderIds = await publishOrders(total);
  const victim = startBillingProcess();
  const exited = once(victim, 'exit');
  await waitFor(async () => (await paymentsFor(orderIds)) >= 20, {
    timeoutMs: 90_000,
    what: 'billing to be mid-stream',
  });
  victim.kill('SIGKILL');
  await exited;
  const atKill = await paymentsFor(orderIds);

  const survivor = startBillingProcess();
  try {
    await waitFor(async () => (await paymentsFor(orderIds)) === total, {
      timeoutMs: 120_000,
      what: `all ${total} payments after the restart`,
    });
    expect(atKill).toBeLessThan(total);
    await expectOnePaymentEventEach(orderIds);
  } finally {
    const stopped = once(survivor, 'exit');
    survivor.kill('SIGTERM');
    const [code] = await stopped;
    expect(code).toBe(0); // SIGTERM drains and exits cleanly
  }
});
