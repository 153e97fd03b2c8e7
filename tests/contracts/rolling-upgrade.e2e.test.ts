// A rolling upgrade of OrderCreated rehearsed on the real stack. Version 2 adds an optional
// `giftMessage`. An orders instance already on v2 runs beside today's platform (billing and
// every other reader still on v1): it registers v2 under the subject, as a service does at
// startup, and accepts an order as intake does; the readers resolve v2 into v1 and the order
// goes all the way. A reader on v2 reads what v1 wrote, the new field null; billing upgraded to
// read v2 first charges orders of both versions. A breaking v2 is refused by the registry,
// naming the field, and that instance publishes nothing.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import {
  EVENT_NAMES,
  EventCodec,
  SchemaRejectedError,
  SchemaRegistryClient,
  appendToOutbox,
  avroTypeOf,
  createDb,
  createLogger,
  ensureSubject,
  eventMessage,
  levelOfSubject,
  loadAvroSchema,
  loadJsonSchema,
  readCompatibilityConfig,
  schemaName,
  subjectOf,
  topicOf,
  type AvroSchema,
  type Db,
  type OrderCreated,
} from '@orderflow/shared';
import { readTopicUntil } from '../support/kafka';
import { getJson, postJson, startPlatform, waitForStatus, type Platform } from '../support/platform';

type Json = Record<string, unknown>;

/** One version of the OrderCreated contract: its Avro schema and its JSON Schema. */
interface Contract {
  avro: AvroSchema;
  json: Json;
}

const V1: Contract = { avro: loadAvroSchema('OrderCreated'), json: loadJsonSchema('OrderCreated.json') };

/** The next version as `schemas:generate` would write it from a JSON Schema edit. */
function nextVersion(edit: {
  add?: { name: string; json: Json; avro: Json; required?: boolean };
  remove?: string;
}): Contract {
  const properties = { ...(V1.json.properties as Json) };
  let required = [...(V1.json.required as string[])];
  let fields = [...(V1.avro.fields as Json[])];
  if (edit.add) {
    properties[edit.add.name] = edit.add.json;
    fields.push({ name: edit.add.name, ...edit.add.avro });
    if (edit.add.required) required.push(edit.add.name);
  }
  if (edit.remove) {
    delete properties[edit.remove];
    required = required.filter((name) => name !== edit.remove);
    fields = fields.filter((field) => field.name !== edit.remove);
  }
  const $id = String(V1.json.$id).replace('.json', `.next-${randomUUID()}.json`); // one id per version
  return { avro: { ...V1.avro, fields }, json: { ...V1.json, $id, properties, required } };
}

const GIFT_MESSAGE_V2 = nextVersion({
  add: {
    name: 'giftMessage',
    json: { type: ['string', 'null'], maxLength: 500, description: 'A message to print on the gift card.' },
    avro: { type: ['null', 'string'], default: null },
  },
});

let platform: Platform;
let registry: SchemaRegistryClient;
let ordersDb: Db;

beforeAll(async () => {
  platform = await startPlatform();
  registry = new SchemaRegistryClient({ url: platform.env.SCHEMA_REGISTRY_URL! });
  const quiet = createLogger({
    service: 'test',
    destination: new Writable({ write: (_c, _e, done) => done() }),
  });
  ordersDb = await createDb({
    url: platform.env.DATABASE_URL!,
    schema: schemaName('orders', platform.prefix),
    logger: quiet,
    max: 2,
  });
});

afterAll(async () => {
  await ordersDb?.close();
  await platform?.stop();
});

/** A codec that reads and writes OrderCreated as `contract` says, every other event as today. */
function codecOn(contract: Contract, writerId?: number): EventCodec {
  return new EventCodec({
    source: registry,
    parse: avroTypeOf,
    readerSchemas: new Map(
      EVENT_NAMES.map((e) => [e, e === 'OrderCreated' ? contract.avro : loadAvroSchema(e)]),
    ),
    contracts: new Map([['OrderCreated', contract.json]]),
    writerIds: new Map(writerId === undefined ? [] : [['OrderCreated', writerId]]),
  });
}

/**
 * An orders instance on `contract`, sharing the orders schema with today's instances: at start
 * it registers its OrderCreated as every service does (and would refuse to start on a
 * rejection); it accepts an order as intake does, the row and its event in one transaction,
 * and today's outbox relay publishes the bytes as written.
 */
async function upgradedOrdersInstance(contract: Contract) {
  const subject = subjectOf('OrderCreated', platform.prefix);
  const level = levelOfSubject(readCompatibilityConfig(), subjectOf('OrderCreated'));
  const { id } = await ensureSubject(registry, subject, contract.avro, level);
  const codec = codecOn(contract, id);
  return {
    id,
    accept: (order: OrderCreated & Json) =>
      ordersDb.tx(async (tx) => {
        await tx.query(
          `INSERT INTO orders (order_id, customer_id, email, items, total_cents, currency, fingerprint, status)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 'CREATED')`,
          [
            order.orderId,
            order.customerId,
            order.email ?? null,
            JSON.stringify(order.items),
            order.totalCents,
            order.currency,
            `v2-${order.orderId}`,
          ],
        );
        await appendToOutbox(tx, [eventMessage(codec, platform.prefix, 'OrderCreated', order, {})]);
      }),
  };
}

function anOrder(extra: Json = {}): OrderCreated & Json {
  return {
    eventId: randomUUID(),
    orderId: randomUUID(),
    occurredAt: new Date().toISOString(),
    customerId: `c-${randomUUID()}`,
    email: 'ada@example.com',
    items: [{ itemId: 'ceramic-mug', quantity: 2, unitPriceCents: 1450 }],
    totalCents: 2900,
    currency: 'EUR',
    ...extra,
  };
}

/** The OrderCreated bytes on the topic for one order. */
async function orderCreatedOnTopic(orderId: string): Promise<Buffer> {
  const messages = await readTopicUntil(platform.kafka, topicOf('OrderCreated', platform.prefix), (read) =>
    read.some((m) => String(m.key) === orderId),
  );
  return messages.find((m) => String(m.key) === orderId)!.value!;
}

test('an OrderCreated v2 (a new optional field) from an upgraded orders instance goes to SHIPPED while billing and every other reader still read v1', async () => {
  const v1Id = (await registry.lookup(subjectOf('OrderCreated', platform.prefix), V1.avro))!.id;
  const upgraded = await upgradedOrdersInstance(GIFT_MESSAGE_V2);
  expect(upgraded.id).not.toBe(v1Id);
  expect(await registry.versions(subjectOf('OrderCreated', platform.prefix))).toEqual([1, 2]);

  const order = anOrder({ giftMessage: 'Happy birthday, Ada' });
  await upgraded.accept(order);

  const shipped = await waitForStatus(platform, order.orderId, 'SHIPPED');
  expect(shipped).toMatchObject({ orderId: order.orderId, totalCents: 2900 });
  const bytes = await orderCreatedOnTopic(order.orderId);
  expect(bytes.readInt32BE(1)).toBe(upgraded.id); // written with v2's id, relayed untouched
  const payment = await getJson(`${platform.url('billing')}/payments/${order.orderId}`);
  expect(payment.body).toMatchObject({ status: 'CAPTURED', amountCents: 2900 });
  // Read by v1 readers through writer→reader resolution: the field v1 does not know is dropped.
  const created = platform.events.ofOrder(order.orderId).find((e) => e.type === 'OrderCreated')!;
  expect(created.schemaId).toBe(upgraded.id);
  expect(created.payload).not.toHaveProperty('giftMessage');
  expect(created.payload).toMatchObject({ orderId: order.orderId, customerId: order.customerId });
  expect(platform.events.ofOrder(order.orderId).map((e) => e.type)).toEqual(
    expect.arrayContaining(['PaymentCaptured', 'InventoryReserved', 'ShippingScheduled']),
  );
  // A reader already on v2 sees the message the upgraded instance wrote.
  const decoded = await codecOn(GIFT_MESSAGE_V2).decode<Json>(bytes);
  expect(decoded.payload.giftMessage).toBe('Happy birthday, Ada');
});

test('a reader on OrderCreated v2 reads the v1 events today’s orders writes, the new field null', async () => {
  const placed = await postJson(`${platform.url('orders')}/orders`, {
    customerId: `c-${randomUUID()}`,
    email: 'grace@example.com',
    items: [{ itemId: 'burr-grinder', quantity: 1 }],
  });
  expect(placed.status).toBe(201);
  const orderId = placed.body.orderId as string;
  const bytes = await orderCreatedOnTopic(orderId);
  const v1Id = (await registry.lookup(subjectOf('OrderCreated', platform.prefix), V1.avro))!.id;
  expect(bytes.readInt32BE(1)).toBe(v1Id);

  const decoded = await codecOn(GIFT_MESSAGE_V2).decode<Json>(bytes);
  expect(decoded.payload).toMatchObject({ orderId, totalCents: 18_900, giftMessage: null });
  await waitForStatus(platform, orderId, 'SHIPPED');
});

test('billing upgraded to read OrderCreated v2 before orders is: v1 orders from today’s orders instance and v2 ones from the upgraded instance both reach SHIPPED', async () => {
  await platform.services.billing!.stop();
  const billing = await platform.startService('billing', {}, { readers: { OrderCreated: GIFT_MESSAGE_V2 } });
  const upgraded = await upgradedOrdersInstance(GIFT_MESSAGE_V2);

  const placed = await postJson(`${platform.url('orders')}/orders`, {
    customerId: `c-${randomUUID()}`,
    items: [{ itemId: 'espresso-beans-1kg', quantity: 1 }],
  });
  expect(placed.status).toBe(201);
  const fromToday = placed.body.orderId as string;
  const fromUpgraded = anOrder({ giftMessage: 'Enjoy the mugs' });
  await upgraded.accept(fromUpgraded);

  for (const orderId of [fromToday, fromUpgraded.orderId]) {
    await waitForStatus(platform, orderId, 'SHIPPED');
    const payment = await getJson(`${platform.url('billing')}/payments/${orderId}`);
    expect(payment.body).toMatchObject({ orderId, status: 'CAPTURED' });
  }
  // What billing's own codec, on v2, made of each: v1 resolved into v2 (null), v2 as written.
  const seen = async (orderId: string) =>
    (await billing.app.codec.decode<Json>(await orderCreatedOnTopic(orderId))).payload.giftMessage;
  expect(await seen(fromToday)).toBeNull();
  expect(await seen(fromUpgraded.orderId)).toBe('Enjoy the mugs');
});

test('a service is refused a reader version for an event it produces: it reads what it registers', async () => {
  await expect(
    platform.startService('orders', {}, { readers: { OrderCreated: GIFT_MESSAGE_V2 } }),
  ).rejects.toThrow('cannot start: orders produces OrderCreated, so it reads it as it registers it');
});

describe.each([
  [
    'a new required field without a default',
    nextVersion({
      add: { name: 'loyaltyTier', json: { type: 'string' }, avro: { type: 'string' }, required: true },
    }),
    'loyaltyTier',
  ],
  ['a required field removed', nextVersion({ remove: 'currency' }), 'currency'],
])('a breaking OrderCreated v2: %s', (_change, breaking, field) => {
  test("is refused at registration with the registry's reason naming the field, and nothing is published", async () => {
    const subject = subjectOf('OrderCreated', platform.prefix);
    const versions = await registry.versions(subject);
    const topic = topicOf('OrderCreated', platform.prefix);
    const admin = platform.kafka.admin();
    await admin.connect();
    try {
      const offsetsBefore = await admin.fetchTopicOffsets(topic);

      const refusal = await upgradedOrdersInstance(breaking).then(
        () => undefined,
        (e: unknown) => e,
      );

      expect(refusal).toBeInstanceOf(SchemaRejectedError);
      expect(refusal).toMatchObject({ subject, code: 'SCHEMA_REJECTED' });
      expect((refusal as SchemaRejectedError).reason).toContain(field);
      expect(await registry.versions(subject)).toEqual(versions);
      expect(await ordersDb.query('SELECT 1 FROM outbox')).toMatchObject({ rows: [] });
      expect(await admin.fetchTopicOffsets(topic)).toEqual(offsetsBefore);
    } finally {
      await admin.disconnect();
    }
  });
});
