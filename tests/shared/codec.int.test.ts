// The Avro serde on the real broker and registry: Confluent wire format, schema ids
// resolved once, and every later message encoded and decoded without a registry call.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import {
  EVENT_NAMES,
  EventCodec,
  SchemaRegistryClient,
  avroTypeOf,
  ensureTopics,
  loadAvroSchema,
  registerEventSchemas,
  type OrderCreated,
} from '@orderflow/shared';
import { stackEnv, uniquePrefix } from '../support/platform';
import { readTopicUntil } from '../support/kafka';

const prefix = uniquePrefix();
const kafka = new Kafka({
  clientId: 'codec-test',
  brokers: stackEnv.KAFKA_BROKERS.split(','),
  logLevel: logLevel.NOTHING,
});
const registry = new SchemaRegistryClient({ url: stackEnv.SCHEMA_REGISTRY_URL });

function counting() {
  const calls: number[] = [];
  return { calls, source: { schemaById: (id: number) => (calls.push(id), registry.schemaById(id)) } };
}

const order: OrderCreated = {
  eventId: randomUUID(),
  orderId: randomUUID(),
  occurredAt: '2026-11-23T10:15:30.123Z',
  customerId: 'c-1',
  email: 'ada@example.com',
  items: [{ itemId: 'ceramic-mug', quantity: 2, unitPriceCents: 1450 }],
  totalCents: 2900,
  currency: 'EUR',
};

test('an event encoded through the registry crosses the real broker and decodes to an equal object', async () => {
  const registered = await registerEventSchemas({ registry, events: ['OrderCreated'], prefix });
  const id = registered.get('OrderCreated')!.id;
  const writer = new EventCodec({
    source: registry,
    parse: avroTypeOf,
    readerSchemas: new Map([['OrderCreated', loadAvroSchema('OrderCreated')]]),
    writerIds: new Map([['OrderCreated', id]]),
  });
  const value = writer.encode('OrderCreated', order);
  expect(value[0]).toBe(0); // Confluent magic byte
  expect(value.readInt32BE(1)).toBe(id); // then the schema id, big-endian

  const topic = `${prefix}codec`;
  await ensureTopics(kafka, [{ topic, partitions: 1 }]);
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: [{ key: order.orderId, value }] });
  await producer.disconnect();
  const [message] = await readTopicUntil(kafka, topic, (m) => m.length === 1);

  const { calls, source } = counting();
  const reader = new EventCodec({
    source,
    parse: avroTypeOf,
    readerSchemas: new Map(EVENT_NAMES.map((e) => [e, loadAvroSchema(e)])),
    writerIds: new Map(),
  });
  const decoded = await reader.decode(message!.value);
  expect(decoded).toEqual({ type: 'OrderCreated', schemaId: id, payload: order });

  // Warm: a thousand more messages with the same id cost no registry call.
  for (let i = 0; i < 1000; i++)
    await reader.decode(writer.encode('OrderCreated', { ...order, eventId: randomUUID() }));
  expect(calls).toEqual([id]);
});

test('an event that breaks its contract is refused before it is encoded', async () => {
  const registered = await registerEventSchemas({ registry, events: ['OrderCreated'], prefix });
  const writer = new EventCodec({
    source: registry,
    parse: avroTypeOf,
    readerSchemas: new Map([['OrderCreated', loadAvroSchema('OrderCreated')]]),
    writerIds: new Map([['OrderCreated', registered.get('OrderCreated')!.id]]),
  });
  expect(() => writer.encode('OrderCreated', { ...order, currency: 'euro' })).toThrow(
    'refusing to publish an invalid OrderCreated',
  );
});
