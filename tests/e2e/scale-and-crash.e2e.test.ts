// Effectively once under scale-out and crashes: two billing instances in one group, and
// a billing process killed with SIGKILL inside its transactions and started again.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { schemaName, serviceCommand } from '@orderflow/shared';
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

function startBillingProcess(env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, serviceCommand('billing'), {
    cwd: join(__dirname, '..', '..'),
    // A short session timeout lets the group drop the killed member quickly.
    env: { ...process.env, ...platform.env, LOG_LEVEL: 'warn', KAFKA_SESSION_TIMEOUT_MS: '6000', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** Billing's database sessions that are inside a transaction right now (each chunk is one). */
async function billingTransactionsOpen(): Promise<boolean> {
  const [row] = await platform.sql<{ n: string }>(
    `SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1 AND state = 'idle in transaction'`,
    [schemaName('billing', platform.prefix)],
  );
  return Number(row?.n ?? 0) > 0;
}

test('a billing process killed inside its transactions and restarted loses nothing and doubles nothing', async () => {
  // The victim holds each chunk's transaction open for 5 s, so the kill provably lands inside
  // one: a billing at full speed drains a small backlog before any kill could land.
  const victim = startBillingProcess({ ORDERFLOW_TEST_HANDLER_DELAY_MS: '5000' });
  const exited = once(victim, 'exit');
  const committed = await publishOrders(300);
  await waitFor(async () => (await paymentsFor(committed)) === committed.length, {
    timeoutMs: 90_000,
    what: 'the victim to charge the first 300 orders',
  });
  const inFlight = await publishOrders(1700);
  await waitFor(billingTransactionsOpen, { timeoutMs: 60_000, intervalMs: 20, what: 'a chunk transaction' });
  victim.kill('SIGKILL');
  await exited;
  const orderIds = [...committed, ...inFlight];
  expect(await paymentsFor(orderIds)).toBe(committed.length); // the open chunks rolled back

  const survivor = startBillingProcess();
  const stopped = once(survivor, 'exit');
  try {
    await waitFor(async () => (await paymentsFor(orderIds)) === orderIds.length, {
      timeoutMs: 120_000,
      what: `all ${orderIds.length} payments after the restart`,
    });
    await expectOnePaymentEventEach(orderIds);
  } finally {
    survivor.kill('SIGTERM');
  }
  const [code] = await stopped;
  expect(code).toBe(0); // SIGTERM drains and exits cleanly
});
