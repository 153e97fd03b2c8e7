// Messages a consumer can never handle go to its DLQ with the reason and their source,
// and the consumer goes on with the next message.
import { randomUUID } from 'node:crypto';
import { avroTypeOf, loadAvroSchema, registerEventSchemas } from '@orderflow/shared';
import { startPlatform, type Platform } from '../support/platform';
import { header, produceRaw, readTopicUntil } from '../support/kafka';
import { waitFor } from '../support/wait';

let platform: Platform;

beforeAll(async () => {
  platform = await startPlatform({ services: ['billing'] });
});

afterAll(async () => {
  await platform?.stop();
});

function confluent(schemaId: number, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeInt32BE(schemaId, 1);
  return Buffer.concat([header, body]);
}

test('garbage, unknown schema ids, wrong record types, truncated and invalid events land in the DLQ with their reasons, and billing keeps going', async () => {
  const { prefix, kafka } = platform;
  const ids = await registerEventSchemas({
    registry: { url: platform.env.SCHEMA_REGISTRY_URL! },
    events: ['OrderCreated', 'PaymentCaptured'],
    prefix,
  });
  const orderCreated = avroTypeOf(loadAvroSchema('OrderCreated'));
  const orderCreatedId = ids.get('OrderCreated')!.id;
  const good = (overrides: Record<string, unknown> = {}) => ({
    eventId: randomUUID(),
    orderId: randomUUID(),
    occurredAt: new Date().toISOString(),
    customerId: 'c-1',
    email: null,
    items: [{ itemId: 'ceramic-mug', quantity: 1, unitPriceCents: 1450 }],
    totalCents: 1450,
    currency: 'EUR',
    ...overrides,
  });
  const valid = good();
  const paymentCaptured = avroTypeOf(loadAvroSchema('PaymentCaptured'));
  const { totalCents: amountCents, items, ...common } = good();
  const aPayment = {
    ...common,
    paymentId: randomUUID(),
    amountCents,
    items: items.map(({ itemId, quantity }) => ({ itemId, quantity })),
  };
  const body = orderCreated.toBuffer(good());
  const poison = [
    { reason: 'NOT_AVRO', value: Buffer.from('{"not":"avro"}') },
    { reason: 'NOT_AVRO', value: Buffer.from([1, 0, 0, 0, 1, 2, 3]) }, // wrong magic byte
    { reason: 'UNKNOWN_SCHEMA_ID', value: confluent(987_654_321, body) },
    {
      reason: 'UNKNOWN_RECORD_TYPE',
      value: confluent(ids.get('PaymentCaptured')!.id, paymentCaptured.toBuffer(aPayment)),
    }, // a valid event, on the wrong topic
    { reason: 'UNDECODABLE', value: confluent(orderCreatedId, body.subarray(0, body.length - 3)) },
    {
      reason: 'INVALID_EVENT',
      value: confluent(orderCreatedId, orderCreated.toBuffer(good({ currency: 'euro' }))),
    },
  ];
  await produceRaw(kafka, `${prefix}orders.events`, [
    ...poison.map((p, i) => ({ key: `poison-${i}`, value: p.value, headers: { 'x-test': String(i) } })),
    { key: valid.orderId, value: confluent(orderCreatedId, orderCreated.toBuffer(valid)) },
  ]);

  // Keys spread the messages over partitions; the DLQ has one partition, so read all six.
  const dlq = await readTopicUntil(kafka, `${prefix}orderflow.billing.dlq`, (m) => m.length >= poison.length);
  const reasons = dlq.map((m) => ({ key: String(m.key), reason: header(m, 'x-dlq-reason') }));
  expect(reasons.sort((a, b) => a.key.localeCompare(b.key))).toEqual(
    poison.map((p, i) => ({ key: `poison-${i}`, reason: p.reason })),
  );
  for (const m of dlq) {
    expect(header(m, 'x-dlq-source-topic')).toBe(`${prefix}orders.events`);
    expect(Number(header(m, 'x-dlq-source-offset'))).toBeGreaterThanOrEqual(0);
    expect(header(m, 'x-dlq-error')).toBeTruthy();
    expect(header(m, 'x-test')).toBeDefined(); // the original headers travel along
  }
  const invalid = dlq.find((m) => header(m, 'x-dlq-reason') === 'INVALID_EVENT')!;
  expect(header(invalid, 'x-dlq-error')).toContain('/currency');

  await waitFor(
    async () =>
      (
        await platform.sql(`SELECT 1 FROM ${platform.table('billing', 'payments')} WHERE order_id = $1`, [
          valid.orderId,
        ])
      ).length === 1,
    {
      what: 'the valid order after the poison to be charged',
    },
  );
});
