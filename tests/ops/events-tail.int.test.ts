// `npm run events:tail` prints what arrives on a topic, decoded through the registry, one
// JSON line per message; it survives a message it cannot decode, and Ctrl-C ends it cleanly.
import { randomUUID } from 'node:crypto';
import { postJson, startPlatform, type Platform } from '../support/platform';
import { produceRaw } from '../support/kafka';
import { waitFor } from '../support/wait';
import { startScript } from './run-script';

let platform: Platform;

beforeAll(async () => {
  platform = await startPlatform({ services: ['orders'] });
});

afterAll(async () => {
  await platform?.stop();
});

function tailEnv() {
  const { KAFKA_BROKERS, SCHEMA_REGISTRY_URL, TOPIC_PREFIX } = platform.env;
  return { KAFKA_BROKERS, SCHEMA_REGISTRY_URL, TOPIC_PREFIX, LOG_LEVEL: 'warn' };
}

async function placeOrder(): Promise<string> {
  const orderId = randomUUID();
  const body = { orderId, customerId: 'c-tail', items: [{ itemId: 'ceramic-mug', quantity: 3 }] };
  expect(
    (await postJson(`${platform.url('orders')}/orders`, body, { 'x-correlation-id': `tail-${orderId}` }))
      .status,
  ).toBe(201);
  return orderId;
}

test('an OrderCreated placed after the tail started is printed as one decoded JSON line, and Ctrl-C ends the tail with exit code 0', async () => {
  const tail = startScript('tail.ts', ['orders.events'], tailEnv());
  try {
    await waitFor(() => tail.stderr.some((l) => l.startsWith('tailing ')), {
      what: `the tail to be ready; stderr: ${tail.stderr.join('\n')}`,
    });
    const orderId = await placeOrder();

    const line = await tail.line((l) => l.includes(orderId), `the OrderCreated of ${orderId}`);
    expect(JSON.parse(line)).toEqual({
      topic: `${platform.prefix}orders.events`,
      partition: expect.any(Number),
      offset: expect.any(Number),
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      key: orderId,
      type: 'OrderCreated',
      headers: expect.objectContaining({ 'x-correlation-id': `tail-${orderId}` }),
      payload: expect.objectContaining({
        orderId,
        customerId: 'c-tail',
        totalCents: 3 * 1450,
        currency: 'EUR',
        items: [{ itemId: 'ceramic-mug', quantity: 3, unitPriceCents: 1450 }],
      }),
    });
    expect(tail.stdout.every((l) => JSON.parse(l).type === 'OrderCreated')).toBe(true); // stdout holds only event lines
  } finally {
    tail.child.kill('SIGINT');
  }
  expect(await tail.exited).toBe(0);
  expect(tail.stderr).toContain(`stopped tailing ${platform.prefix}orders.events`);
});

test('with --from-beginning it prints earlier events, and a message it cannot decode becomes an error line, not a crash', async () => {
  const before = await placeOrder();
  await produceRaw(platform.kafka, `${platform.prefix}orders.events`, [
    { key: 'garbage-1', value: Buffer.from('{"not":"avro"}') },
  ]);
  const after = await placeOrder();

  const tail = startScript('tail.ts', ['orders.events', '--from-beginning'], tailEnv());
  try {
    const garbage = JSON.parse(await tail.line((l) => l.includes('garbage-1'), 'the undecodable message'));
    expect(garbage).toMatchObject({
      topic: `${platform.prefix}orders.events`,
      key: 'garbage-1',
      error: expect.stringContaining('NOT_AVRO'),
    });
    expect(garbage).not.toHaveProperty('payload');
    for (const orderId of [before, after]) {
      expect(JSON.parse(await tail.line((l) => l.includes(orderId), orderId))).toMatchObject({
        type: 'OrderCreated',
        key: orderId,
      });
    }
  } finally {
    tail.child.kill('SIGTERM');
  }
  expect(await tail.exited).toBe(0);
});

test('a topic that does not exist is named in a clear error, with the topics that do', async () => {
  const tail = startScript('tail.ts', ['no-such.events'], tailEnv());
  expect(await tail.exited).toBe(1);
  expect(tail.stderr.join('\n')).toContain(`no topic ${platform.prefix}no-such.events`);
  expect(tail.stderr.join('\n')).toContain(`${platform.prefix}orders.events`);
});
