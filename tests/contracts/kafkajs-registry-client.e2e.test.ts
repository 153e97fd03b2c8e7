// Bytes crossing both ways between orderflow and @kafkajs/confluent-schema-registry used as
// any other team would use it (no options): its decode reads every orderflow event off the
// real broker, and an OrderCreated from its encode is charged by billing.
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { randomUUID } from 'node:crypto';
import {
  avroTypeOf,
  ensureTopics,
  EVENT_NAMES,
  registryAgent,
  EventCodec,
  loadAvroSchema,
  loadJsonSchema,
  registerEventSchemas,
  SchemaRegistryClient,
  subjectOf,
  topicOf,
  type EventName,
} from '@orderflow/shared';
import { produceRaw, readTopicUntil } from '../support/kafka';
import { getJson, startPlatform, uniquePrefix, type Platform } from '../support/platform';
import { waitFor } from '../support/wait';

type Json = Record<string, unknown>;

let platform: Platform;
let library: SchemaRegistry;
const scratch = uniquePrefix();

beforeAll(async () => {
  platform = await startPlatform({ services: ['orders', 'billing'], env: { PAYMENT_LIMIT_CENTS: '500000' } });
  library = new SchemaRegistry({
    host: platform.env.SCHEMA_REGISTRY_URL!,
    agent: registryAgent('http:'),
  });
});

afterAll(async () => {
  const registry = new SchemaRegistryClient({ url: platform.env.SCHEMA_REGISTRY_URL! });
  for (const event of EVENT_NAMES) await registry.deleteSubject(subjectOf(event, scratch));
  const admin = platform.kafka.admin();
  await admin.connect();
  await admin
    .deleteTopics({ topics: [...new Set(EVENT_NAMES.map((e) => topicOf(e, scratch)))] })
    .finally(() => admin.disconnect());
  await platform?.stop();
});

/**
 * What a reader without orderflow's logical types sees: date-times as epoch millis (Avro
 * timestamp-millis is a long), absent optional fields as null.
 */
function asPlainAvro(event: EventName, example: Json): Json {
  const properties = loadJsonSchema(`${event}.json`).properties as Record<string, { format?: string }>;
  return Object.fromEntries(
    Object.entries(properties).map(([name, property]) => {
      const value = example[name];
      if (value === undefined) return [name, null];
      return [name, property.format === 'date-time' ? Date.parse(value as string) : value];
    }),
  );
}

test("the library's decode reads every orderflow event, each JSON Schema example, off the real broker", async () => {
  const registered = await registerEventSchemas({
    registry: { url: platform.env.SCHEMA_REGISTRY_URL! },
    events: EVENT_NAMES,
    prefix: scratch,
  });
  const codec = new EventCodec({
    source: { schemaById: async () => undefined },
    parse: avroTypeOf,
    readerSchemas: new Map(EVENT_NAMES.map((e) => [e, loadAvroSchema(e)])),
    writerIds: new Map([...registered].map(([event, { id }]) => [event, id])),
  });
  await ensureTopics(
    platform.kafka,
    [...new Set(EVENT_NAMES.map((e) => topicOf(e, scratch)))].map((topic) => ({ topic, partitions: 1 })),
  );

  for (const event of EVENT_NAMES) {
    const examples = (loadJsonSchema(`${event}.json`).examples ?? []) as Json[];
    expect(examples.length).toBeGreaterThan(0);
    const topic = topicOf(event, scratch);
    await produceRaw(
      platform.kafka,
      topic,
      examples.map((example) => ({ key: event, value: codec.encode(event, example) })),
    );
    const messages = await readTopicUntil(
      platform.kafka,
      topic,
      (read) => read.filter((m) => String(m.key) === event).length === examples.length,
    );
    const decoded = await Promise.all(
      messages.filter((m) => String(m.key) === event).map((m) => library.decode(m.value!)),
    );
    // Plain objects: the library's avsc records are class instances.
    expect({ event, decoded: JSON.parse(JSON.stringify(decoded)) }).toEqual({
      event,
      decoded: examples.map((example) => asPlainAvro(event, example)),
    });
  }
});

test("billing charges an OrderCreated that the library's encode wrote with the registered schema id", async () => {
  const subject = subjectOf('OrderCreated', platform.prefix); // registered by orders at startup
  const id = await library.getLatestSchemaId(subject);
  const orderId = randomUUID();
  const value = await library.encode(id, {
    eventId: randomUUID(),
    orderId,
    occurredAt: Date.now(),
    customerId: 'c-library',
    email: 'ada@example.com',
    items: [{ itemId: 'ceramic-mug', quantity: 2, unitPriceCents: 1450 }],
    totalCents: 2900,
    currency: 'EUR',
  });
  expect(value.readInt32BE(1)).toBe(id);
  await produceRaw(platform.kafka, topicOf('OrderCreated', platform.prefix), [{ key: orderId, value }]);

  const payment = await waitFor(
    async () => {
      const answer = await getJson(`${platform.url('billing')}/payments/${orderId}`);
      return answer.status === 200 ? answer.body : undefined;
    },
    { what: `billing's payment for ${orderId}` },
  );
  expect(payment).toMatchObject({ orderId, status: 'CAPTURED', amountCents: 2900 });
  await waitFor(() => platform.events.count('PaymentCaptured', orderId) === 1, {
    what: `PaymentCaptured for ${orderId}`,
  });
});
