// `npm run dlq:replay` puts dead-lettered messages back on their source topic, without the
// x-dlq-* headers, once: after the cause is fixed the consumer handles them.
import { randomUUID } from 'node:crypto';
import { postJson, startPlatform, type Platform } from '../support/platform';
import { header, produceRaw, readTopicUntil } from '../support/kafka';
import { waitFor } from '../support/wait';
import { runScript } from './run-script';

let platform: Platform;

beforeAll(async () => {
  platform = await startPlatform({ services: ['orders', 'billing'] });
});

afterAll(async () => {
  await platform?.stop();
});

function opsEnv() {
  const { KAFKA_BROKERS, SCHEMA_REGISTRY_URL, TOPIC_PREFIX } = platform.env;
  return { KAFKA_BROKERS, SCHEMA_REGISTRY_URL, TOPIC_PREFIX, LOG_LEVEL: 'warn' };
}

async function paymentsOf(orderId: string): Promise<number> {
  const rows = await platform.sql(
    `SELECT 1 FROM ${platform.table('billing', 'payments')} WHERE order_id = $1`,
    [orderId],
  );
  return rows.length;
}

test('an order billing dead-lettered while its table was gone is charged once the table is back and the DLQ replayed, and a second replay finds nothing', async () => {
  const { prefix, kafka } = platform;
  const payments = platform.table('billing', 'payments');
  const orderId = randomUUID();

  // The cause: billing's table is missing, so its handler fails until the message is dead-lettered.
  await platform.sql(`ALTER TABLE ${payments} RENAME TO payments_away`);
  try {
    const order = { orderId, customerId: 'c-replay', items: [{ itemId: 'ceramic-mug', quantity: 1 }] };
    expect((await postJson(`${platform.url('orders')}/orders`, order)).status).toBe(201);
    const dlq = await readTopicUntil(
      kafka,
      `${prefix}orderflow.billing.dlq`,
      (m) => m.some((x) => String(x.key) === orderId),
      60_000,
    );
    const dead = dlq.find((m) => String(m.key) === orderId)!;
    expect(header(dead, 'x-dlq-reason')).toBe('HANDLER_FAILED');
    expect(header(dead, 'x-dlq-source-topic')).toBe(`${prefix}orders.events`);
  } finally {
    await platform.sql(`ALTER TABLE ${platform.table('billing', 'payments_away')} RENAME TO payments`); // the fix
  }
  expect(await paymentsOf(orderId)).toBe(0);

  const replay = await runScript('dlq-replay.ts', ['orderflow.billing'], opsEnv());
  expect([replay.code, replay.stderr]).toEqual([0, '']);
  expect(replay.stdout).toContain(`replayed 1 message(s) from ${prefix}orderflow.billing.dlq:`);
  expect(replay.stdout).toMatch(new RegExp(`^  ${prefix}orders\\.events  1$`, 'm'));

  await waitFor(async () => (await paymentsOf(orderId)) === 1, {
    what: 'billing to charge the replayed order',
  });
  // The original and the replayed copy are on the source topic; neither carries x-dlq-* headers.
  const copies = (
    await readTopicUntil(
      kafka,
      `${prefix}orders.events`,
      (m) => m.filter((x) => String(x.key) === orderId).length >= 2,
    )
  ).filter((m) => String(m.key) === orderId);
  expect(copies).toHaveLength(2);
  for (const copy of copies)
    expect(Object.keys(copy.headers ?? {}).filter((h) => h.startsWith('x-dlq-'))).toEqual([]);
  expect(copies[1]!.value).toEqual(copies[0]!.value);

  const again = await runScript('dlq-replay.ts', ['billing'], opsEnv());
  expect(again.code).toBe(0);
  expect(again.stdout).toContain(`nothing to replay in ${prefix}orderflow.billing.dlq`);
  expect(await paymentsOf(orderId)).toBe(1);
});

test('a dry run reports what it would replay and changes nothing, so the real replay after it still replays the message', async () => {
  const { prefix, kafka } = platform;
  const orderId = randomUUID();
  const source = `${prefix}orders.events`;
  // A crafted dead letter: a DLQ entry needs only the bytes and where they came from.
  const crafted = await readTopicUntil(kafka, source, (m) => m.length > 0);
  await produceRaw(kafka, `${prefix}orderflow.billing.dlq`, [
    {
      key: orderId,
      value: crafted[0]!.value,
      headers: {
        'x-dlq-reason': 'HANDLER_FAILED',
        'x-dlq-error': 'crafted by a test',
        'x-dlq-source-topic': source,
        'x-trace': 'kept',
      },
    },
  ]);

  const dry = await runScript('dlq-replay.ts', ['orderflow.billing', '--dry-run'], opsEnv());
  expect(dry.code).toBe(0);
  expect(dry.stdout).toContain(`would replay 1 message(s) from ${prefix}orderflow.billing.dlq:`);
  expect(dry.stdout).toContain('crafted by a test');

  const real = await runScript('dlq-replay.ts', ['orderflow.billing'], opsEnv());
  expect(real.code).toBe(0);
  expect(real.stdout).toContain(`replayed 1 message(s) from ${prefix}orderflow.billing.dlq:`);
  const replayed = await readTopicUntil(kafka, source, (m) => m.some((x) => String(x.key) === orderId));
  const copy = replayed.find((m) => String(m.key) === orderId)!;
  expect(header(copy, 'x-trace')).toBe('kept');
  expect(header(copy, 'x-dlq-reason')).toBeUndefined();
});

test('a DLQ entry that names no source topic is reported as skipped with exit code 1', async () => {
  const { prefix, kafka } = platform;
  await produceRaw(kafka, `${prefix}orderflow.billing.dlq`, [
    { key: 'nowhere', value: Buffer.from('x'), headers: { 'x-dlq-reason': 'NOT_AVRO' } },
  ]);
  const replay = await runScript('dlq-replay.ts', ['orderflow.billing'], opsEnv());
  expect(replay.code).toBe(1);
  expect(replay.stdout).toContain('SKIPPED: no x-dlq-source-topic header');
  expect(replay.stdout).toContain('replayed 0 message(s)');
});
