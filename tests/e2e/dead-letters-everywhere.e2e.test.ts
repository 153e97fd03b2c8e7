// Every service, not just billing: bad bytes on each topic it reads go to its own DLQ with their
// reason — including a message as large as the broker takes — and each service goes on to
// handle the valid event that follows them.
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import {
  avroTypeOf,
  dlqTopicOf,
  groupOf,
  loadAvroSchema,
  SERVICES,
  SERVICE_NAMES,
  topicOf,
  type EventName,
  type ServiceName,
} from '@orderflow/shared';
import { startPlatform, type Platform } from '../support/platform';
import { header, produceRaw, readTopicUntil } from '../support/kafka';
import { waitFor } from '../support/wait';

let platform: Platform;

beforeAll(async () => {
  platform = await startPlatform({ env: { PAYMENT_LIMIT_CENTS: '500000' } });
});

afterAll(async () => {
  await platform?.stop();
});

/** The broker's message.max.bytes (Kafka's default): a record batch larger than this is refused. */
const BROKER_MAX_MESSAGE_BYTES = 1_048_588;

function confluent(schemaId: number, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeInt32BE(schemaId, 1);
  return Buffer.concat([head, body]);
}

const common = () => ({
  eventId: randomUUID(),
  orderId: `dlq-${randomUUID()}`,
  occurredAt: new Date().toISOString(),
});
const items = [{ itemId: 'ceramic-mug', quantity: 1 }];

/** A valid event of each type the test puts on a topic after the poison, encoded by its producing service. */
function validEvent(type: 'OrderCreated' | 'PaymentCaptured' | 'InventoryReserved' | 'ShippingScheduled'): {
  type: EventName;
  payload: Record<string, unknown>;
} {
  const customer = { customerId: 'c-dlq', email: 'dlq@example.com' };
  switch (type) {
    case 'OrderCreated':
      return {
        type,
        payload: {
          ...common(),
          ...customer,
          items: [{ ...items[0], unitPriceCents: 1450 }],
          totalCents: 1450,
          currency: 'EUR',
        },
      };
    case 'PaymentCaptured':
      return {
        type,
        payload: {
          ...common(),
          ...customer,
          paymentId: randomUUID(),
          amountCents: 1450,
          currency: 'EUR',
          items,
        },
      };
    case 'InventoryReserved':
      return { type, payload: { ...common(), ...customer, reservationId: randomUUID(), items } };
    case 'ShippingScheduled':
      return {
        type,
        payload: {
          ...common(),
          ...customer,
          shipmentId: randomUUID(),
          carrier: 'PostNL',
          scheduledFor: new Date().toISOString(),
          items,
        },
      };
  }
}

const PRODUCER: Record<string, ServiceName> = {
  OrderCreated: 'orders',
  PaymentCaptured: 'billing',
  InventoryReserved: 'inventory',
  ShippingScheduled: 'shipping',
};
/** On each topic: a record type that belongs on another one. */
const FOREIGN: Record<string, 'OrderCreated' | 'PaymentCaptured'> = {
  OrderCreated: 'PaymentCaptured',
  PaymentCaptured: 'OrderCreated',
  InventoryReserved: 'OrderCreated',
  ShippingScheduled: 'OrderCreated',
};

async function largestAccepted(kafka: Kafka, topic: string): Promise<Buffer> {
  // Just under the limit: the batch header, record framing and key take the rest.
  const value = Buffer.alloc(BROKER_MAX_MESSAGE_BYTES - 200, 'x'.charCodeAt(0));
  await produceRaw(kafka, topic, [{ key: 'poison-oversized', value }]);
  return value;
}

test('a message over the broker limit never reaches a topic: the producer is refused with MESSAGE_TOO_LARGE', async () => {
  const topic = `${platform.prefix}orders.events`;
  await expect(
    produceRaw(platform.kafka, topic, [
      { key: 'too-big', value: Buffer.alloc(BROKER_MAX_MESSAGE_BYTES + 1) },
    ]),
  ).rejects.toThrow(/larger than the max message size/);
});

test('on every topic, garbage, a wrong magic byte, an unknown schema id, a foreign record type, a truncated payload and a message as large as the broker takes go to each consumer’s DLQ with their reasons, and every service then handles the next valid event', async () => {
  const { prefix, kafka, services } = platform;
  const sent: Record<
    string,
    {
      topic: string;
      valid: { type: EventName; payload: Record<string, unknown> };
      poison: { key: string; reason: string }[];
    }
  > = {};

  for (const type of ['OrderCreated', 'PaymentCaptured', 'InventoryReserved', 'ShippingScheduled'] as const) {
    const topic = topicOf(type, prefix);
    const codec = services[PRODUCER[type]!]!.app.codec;
    const valid = validEvent(type);
    const foreign = validEvent(FOREIGN[type]!);
    const foreignBytes = services[PRODUCER[foreign.type]!]!.app.codec.encode(
      foreign.type,
      foreign.payload as never,
    );
    const good = codec.encode(type, validEvent(type).payload as never);
    const schemaId = good.readInt32BE(1);
    const body = good.subarray(5);
    const poison = [
      { reason: 'NOT_AVRO', value: Buffer.from('{"not":"avro"}') },
      { reason: 'NOT_AVRO', value: Buffer.from([1, 0, 0, 0, 1, 2, 3]) },
      { reason: 'UNKNOWN_SCHEMA_ID', value: confluent(987_654_321, body) },
      { reason: 'UNKNOWN_RECORD_TYPE', value: foreignBytes },
      { reason: 'UNDECODABLE', value: confluent(schemaId, body.subarray(0, 10)) },
    ].map((p, i) => ({ ...p, key: `poison-${type}-${i}` }));
    await produceRaw(
      kafka,
      topic,
      poison.map((p) => ({ key: p.key, value: p.value })),
    );
    await largestAccepted(kafka, topic);
    await produceRaw(kafka, topic, [
      { key: String(valid.payload.orderId), value: codec.encode(type, valid.payload as never) },
    ]);
    sent[type] = {
      topic,
      valid,
      poison: [
        ...poison.map(({ key, reason }) => ({ key, reason })),
        { key: 'poison-oversized', reason: 'NOT_AVRO' },
      ],
    };
  }

  // Each service's DLQ holds exactly the poison of the topics it reads, each with its reason.
  for (const service of SERVICE_NAMES) {
    const topicsRead = new Set(SERVICES[service].consumes.map((e) => topicOf(e, prefix)));
    const expected = Object.values(sent)
      .filter((s) => topicsRead.has(s.topic))
      .flatMap((s) => s.poison.map((p) => ({ topic: s.topic, key: p.key, reason: p.reason })));
    const dlq = await readTopicUntil(
      kafka,
      dlqTopicOf(groupOf(service, prefix)),
      (m) => m.length >= expected.length,
      60_000,
    );
    const got = dlq.map((m) => ({
      topic: header(m, 'x-dlq-source-topic'),
      key: String(m.key),
      reason: header(m, 'x-dlq-reason'),
    }));
    const order = (a: { topic?: string; key: string }, b: { topic?: string; key: string }) =>
      `${a.topic}${a.key}`.localeCompare(`${b.topic}${b.key}`);
    expect([service, got.sort(order)]).toEqual([service, expected.sort(order)]);
    const oversized = dlq.filter((m) => String(m.key) === 'poison-oversized');
    for (const m of oversized) {
      // With the DLQ headers it no longer fits: it goes without its value, pointing at its source.
      expect(m.value).toBeNull();
      expect(header(m, 'x-dlq-value-dropped')).toMatch(/^\d+ bytes: too large for the DLQ$/);
      expect(Number(header(m, 'x-dlq-source-offset'))).toBeGreaterThanOrEqual(0);
    }
  }

  const one = async (sql: string, params: unknown[], what: string) =>
    waitFor(async () => (await platform.sql(sql, params)).length === 1, { timeoutMs: 60_000, what });
  const t = (service: ServiceName, table: string) => platform.table(service, table);
  const order = (type: string) => String(sent[type]!.valid.payload.orderId);
  const event = (type: string) => String(sent[type]!.valid.payload.eventId);
  await one(
    `SELECT 1 FROM ${t('billing', 'payments')} WHERE order_id = $1`,
    [order('OrderCreated')],
    'billing to charge the valid OrderCreated after the poison',
  );
  await one(
    `SELECT 1 FROM ${t('inventory', 'reservations')} WHERE order_id = $1`,
    [order('PaymentCaptured')],
    'inventory to reserve for the valid PaymentCaptured',
  );
  await one(
    `SELECT 1 FROM ${t('shipping', 'shipments')} WHERE order_id = $1`,
    [order('InventoryReserved')],
    'shipping to schedule the valid InventoryReserved',
  );
  await one(
    `SELECT 1 FROM ${t('notifications', 'notifications')} WHERE source_event_id = $1`,
    [event('ShippingScheduled')],
    'notifications to mail about the valid ShippingScheduled',
  );
  for (const type of ['PaymentCaptured', 'InventoryReserved', 'ShippingScheduled']) {
    await one(
      `SELECT 1 FROM ${t('orders', 'order_events')} WHERE event_id = $1`,
      [event(type)],
      `orders to record the valid ${type}`,
    );
  }
});

test('an Avro payload with a string field near the broker limit decodes, breaks its contract, and is dead-lettered as INVALID_EVENT', async () => {
  const { prefix, kafka, services } = platform;
  const orderCreated = avroTypeOf(loadAvroSchema('OrderCreated'));
  const schemaId = services.orders!.app.codec.schemaIdOf('OrderCreated')!;
  const payload = {
    ...validEvent('OrderCreated').payload,
    customerId: 'c'.repeat(BROKER_MAX_MESSAGE_BYTES - 1_000),
  };
  const valid = validEvent('OrderCreated');
  const topic = topicOf('OrderCreated', prefix);
  await produceRaw(kafka, topic, [
    { key: 'huge-customer', value: confluent(schemaId, orderCreated.toBuffer(payload)) },
  ]);
  await produceRaw(kafka, topic, [
    {
      key: String(valid.payload.orderId),
      value: services.orders!.app.codec.encode('OrderCreated', valid.payload as never),
    },
  ]);
  const dlq = await readTopicUntil(
    kafka,
    dlqTopicOf(groupOf('billing', prefix)),
    (m) => m.some((x) => String(x.key) === 'huge-customer'),
    60_000,
  );
  expect(
    header(
      dlq.find((m) => String(m.key) === 'huge-customer')!,
      'x-dlq-reason',
    ),
  ).toBe('INVALID_EVENT');
  await waitFor(
    async () =>
      (
        await platform.sql(`SELECT 1 FROM ${platform.table('billing', 'payments')} WHERE order_id = $1`, [
          valid.payload.orderId,
        ])
      ).length === 1,
    {
      timeoutMs: 60_000,
      what: 'billing to charge the order after the huge one',
    },
  );
});
