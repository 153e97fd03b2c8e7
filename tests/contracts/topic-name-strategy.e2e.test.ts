// SUBJECT_NAME_STRATEGY=topic on the real stack: each topic's `<topic>-value` is a union of
// its records, as schema references to each record's own subject; orderflow writes and reads
// with it, and Confluent's own JavaScript serde, with its default settings
// (TopicNameStrategy), reads every topic and writes an OrderCreated that billing charges.
import {
  AvroDeserializer,
  AvroSerializer,
  SchemaRegistryClient as ConfluentRegistry,
  SerdeType,
} from '@confluentinc/schemaregistry';
import { randomUUID } from 'node:crypto';
import {
  EVENT_NAMES,
  SERVICES,
  registryAgent,
  recordNameOf,
  recordSubjectOf,
  topicOf,
  type EventName,
} from '@orderflow/shared';
import { produceRaw, readTopicUntil } from '../support/kafka';
import { getJson, postJson, startPlatform, waitForStatus, type Platform } from '../support/platform';
import { waitFor } from '../support/wait';

let platform: Platform;
let confluent: ConfluentRegistry;

beforeAll(async () => {
  platform = await startPlatform({
    env: { SUBJECT_NAME_STRATEGY: 'topic', PAYMENT_LIMIT_CENTS: '500000' },
  });
  // Each call gives up after 3 s and is asked again (askAgain): Apicurio 3.3.3 now and then logs
  // an answer that never reaches the client, with nothing slow on either side. Seen in CI
  // rehearsals (once three 10 s waits in a row for its 404 to Confluent's associations lookup)
  // and alone: 2 of 400 such requests on keep-alive sockets got no answer within 5 s.
  confluent = new ConfluentRegistry({
    baseURLs: [platform.env.SCHEMA_REGISTRY_URL!],
    createAxiosDefaults: { timeout: 3_000, httpAgent: registryAgent('http:') },
  });
});

afterAll(async () => {
  await confluent?.close();
  await platform?.stop();
});

/** Runs a call of Confluent's client up to ten times while its answer does not come (axios timeout). */
async function askAgain<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (e) {
      if ((e as { code?: string }).code !== 'ECONNABORTED' || attempt >= 10) throw e;
    }
  }
}

function order(items: { itemId: string; quantity: number }[]) {
  return { orderId: randomUUID(), customerId: 'c-topic', email: 'ada@example.com', items };
}

/** Places one order of each ending, so every record type of every topic is written. */
async function everyEnding(): Promise<void> {
  const endings: [ReturnType<typeof order>, string][] = [
    [order([{ itemId: 'ceramic-mug', quantity: 1 }]), 'SHIPPED'],
    [order([{ itemId: 'espresso-machine', quantity: 3 }]), 'DECLINED'], // over the payment limit
    [
      order([
        { itemId: 'espresso-machine', quantity: 2 },
        { itemId: 'limited-print', quantity: 6 },
      ]),
      'REFUNDED',
    ],
  ];
  for (const [o] of endings) expect((await postJson(`${platform.url('orders')}/orders`, o)).status).toBe(201);
  for (const [o, status] of endings) await waitForStatus(platform, o.orderId, status);
  await waitFor(() => platform.events.count('EmailSent') >= 5, { what: 'the emails of the three orders' });
  const written = new Set(platform.events.events.map((e) => e.type));
  expect([...written].sort()).toEqual([...EVENT_NAMES].sort());
}

/**
 * What Confluent's deserializer gives for a union of records: wrapped by the branch's full name
 * (`{ "orderflow.events.PaymentCaptured": {...} }`) when the union has several records, the bare
 * record (an instance of a class named after it) when it has one.
 */
function branchOf(value: Record<string, unknown>): { type: string; eventId: unknown } {
  const [only, ...others] = Object.keys(value);
  if (others.length === 0 && only?.startsWith('orderflow.events.')) {
    return {
      type: only.slice('orderflow.events.'.length),
      eventId: (value[only] as { eventId: string }).eventId,
    };
  }
  return { type: value.constructor.name, eventId: value.eventId };
}

test("each topic's <topic>-value holds a union of its records, each a reference to the record's own subject", async () => {
  for (const { topic, produces: events } of Object.values(SERVICES)) {
    const latest = await askAgain(() =>
      confluent.getLatestSchemaMetadata(`${platform.prefix}${topic}-value`),
    );
    expect(JSON.parse(latest.schema!)).toEqual(events.map((e) => recordNameOf(e as EventName)));
    expect(latest.references?.map(({ name, subject }) => ({ name, subject }))).toEqual(
      events.map((e) => ({
        name: recordNameOf(e as EventName),
        subject: recordSubjectOf(e as EventName, 'topic', platform.prefix),
      })),
    );
  }
});

test("Confluent's deserializer with its default settings reads every message of every topic, written with the union", async () => {
  await everyEnding();
  const deserializer = new AvroDeserializer(confluent, SerdeType.VALUE, {});
  for (const { topic: name, produces: events } of Object.values(SERVICES)) {
    const topic = topicOf(events[0] as EventName, platform.prefix);
    const expected = platform.events.events
      .filter((e) => e.topic === topic)
      .map((e) => ({ type: e.type, eventId: e.payload.eventId }));
    const messages = await readTopicUntil(platform.kafka, topic, (read) => read.length >= expected.length);
    const unionId = (
      await askAgain(() => confluent.getLatestSchemaMetadata(`${platform.prefix}${name}-value`))
    ).id;
    const read = [];
    for (const message of messages) {
      expect(message.value!.readInt32BE(1)).toBe(unionId); // orderflow wrote with the union
      read.push(branchOf(await askAgain(() => deserializer.deserialize(topic, message.value!))));
    }
    expect({ topic: name, read }).toEqual({ topic: name, read: expect.arrayContaining(expected) });
    expect(read).toHaveLength(expected.length);
  }
  deserializer.close();
});

test("billing charges an OrderCreated that Confluent's serializer wrote with the latest orders.events-value", async () => {
  const topic = topicOf('OrderCreated', platform.prefix);
  const serializer = new AvroSerializer(confluent, SerdeType.VALUE, {
    useLatestVersion: true,
    autoRegisterSchemas: false,
  });
  const orderId = randomUUID();
  // The serializer picks the union's branch that the record matches.
  const value = await askAgain(() =>
    serializer.serialize(topic, {
      eventId: randomUUID(),
      orderId,
      occurredAt: Date.now(),
      customerId: 'c-confluent',
      email: 'ada@example.com',
      items: [{ itemId: 'ceramic-mug', quantity: 3, unitPriceCents: 1450 }],
      totalCents: 4350,
      currency: 'EUR',
    }),
  );
  const latest = await askAgain(() => confluent.getLatestSchemaMetadata(`${topic}-value`));
  expect(value.readInt32BE(1)).toBe(latest.id);
  await produceRaw(platform.kafka, topic, [{ key: orderId, value }]);

  const payment = await waitFor(
    async () => {
      const answer = await getJson(`${platform.url('billing')}/payments/${orderId}`);
      return answer.status === 200 ? answer.body : undefined;
    },
    { what: `billing's payment for ${orderId}` },
  );
  expect(payment).toMatchObject({ orderId, status: 'CAPTURED', amountCents: 4350 });
  serializer.close();
});
