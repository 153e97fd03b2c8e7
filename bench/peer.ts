// The peer: what typical Kafka demo repositories do, built here for comparison only and
// never used by the product. Koa POST → JSON.stringify → one awaited producer.send per
// request; workers on eachMessage → JSON.parse → one autocommit INSERT per message → one
// awaited send per output. Same topics, keys, partition count and acks=all as orderflow.
import { randomUUID } from 'node:crypto';
import Koa from 'koa';
import Router from '@koa/router';
import coBody from 'co-body';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { Pool } from 'pg';
import { DEFAULTS, catalogItem, type ServiceName } from '@orderflow/shared';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Output = { topic: string; event: Json };

export function peerSchema(prefix: string): string {
  return `${prefix}peer`.replace(/[^a-z0-9_]/g, '_');
}

/** Each worker: its input topics and what it sends for an input event. */
const WORKERS: Record<Exclude<ServiceName, 'orders'>, { inputs: string[]; handle(e: Json): Output[] }> = {
  billing: {
    inputs: ['orders.events'],
    handle: (e) => [
      {
        topic: 'billing.events',
        event: {
          type: 'PaymentCaptured',
          eventId: randomUUID(),
          orderId: e.orderId,
          occurredAt: new Date().toISOString(),
          paymentId: randomUUID(),
          customerId: e.customerId,
          email: e.email,
          amountCents: e.totalCents,
          currency: e.currency,
          items: e.items.map((i: Json) => ({ itemId: i.itemId, quantity: i.quantity })),
        },
      },
    ],
  },
  inventory: {
    inputs: ['billing.events'],
    handle: (e) =>
      e.type !== 'PaymentCaptured'
        ? []
        : [
            {
              topic: 'inventory.events',
              event: {
                type: 'InventoryReserved',
                eventId: randomUUID(),
                orderId: e.orderId,
                occurredAt: new Date().toISOString(),
                reservationId: randomUUID(),
                customerId: e.customerId,
                email: e.email,
                items: e.items,
              },
            },
          ],
  },
  shipping: {
    inputs: ['inventory.events'],
    handle: (e) => [
      {
        topic: 'shipping.events',
        event: {
          type: 'ShippingScheduled',
          eventId: randomUUID(),
          orderId: e.orderId,
          occurredAt: new Date().toISOString(),
          shipmentId: randomUUID(),
          carrier: 'DHL',
          scheduledFor: new Date(Date.now() + 86_400_000).toISOString(),
          customerId: e.customerId,
          email: e.email,
          items: e.items,
        },
      },
    ],
  },
  notifications: {
    inputs: ['billing.events', 'shipping.events'],
    handle: (e) => {
      const kind =
        e.type === 'PaymentCaptured'
          ? 'PAYMENT_CAPTURED'
          : e.type === 'ShippingScheduled'
            ? 'SHIPPING_SCHEDULED'
            : undefined;
      if (!kind) return [];
      return [
        {
          topic: 'notifications.events',
          event: {
            type: 'EmailSent',
            eventId: randomUUID(),
            orderId: e.orderId,
            occurredAt: new Date().toISOString(),
            notificationId: randomUUID(),
            to: e.email,
            kind,
            subject: `Order ${e.orderId}: ${kind}`,
          },
        },
      ];
    },
  },
};

export async function startPeer(
  name: ServiceName,
  env: NodeJS.ProcessEnv,
): Promise<{ url?: string; stop(): Promise<void> }> {
  const prefix = env.TOPIC_PREFIX ?? '';
  const kafka = new Kafka({
    clientId: `peer-${name}`,
    brokers: (env.KAFKA_BROKERS ?? DEFAULTS.KAFKA_BROKERS).split(','),
    logLevel: logLevel.ERROR,
  });
  const producer = kafka.producer();
  await producer.connect();
  const pool = new Pool({ connectionString: env.DATABASE_URL ?? DEFAULTS.DATABASE_URL, max: 10 });
  const schema = peerSchema(prefix);
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`).catch(() => undefined); // racing siblings
  const table = `${schema}.${name}_events`;
  await pool.query(
    `CREATE TABLE IF NOT EXISTS ${table} (event_id uuid PRIMARY KEY, order_id text NOT NULL, payload jsonb NOT NULL)`,
  );

  const inputs =
    name === 'orders'
      ? ['billing.events', 'inventory.events', 'shipping.events', 'notifications.events']
      : WORKERS[name].inputs;
  const consumer = kafka.consumer({ groupId: `${prefix}peer.${name}` });
  await consumer.connect();
  await consumer.subscribe({ topics: inputs.map((t) => prefix + t), fromBeginning: true });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({
    eachMessage: async ({ message }: { message: KafkaMessage }) => {
      const event = JSON.parse(message.value!.toString()) as Json;
      await pool.query(`INSERT INTO ${table} (event_id, order_id, payload) VALUES ($1, $2, $3)`, [
        event.eventId,
        event.orderId,
        event,
      ]);
      if (name === 'orders') return;
      for (const out of WORKERS[name].handle(event)) {
        await producer.send({
          topic: prefix + out.topic,
          acks: -1,
          messages: [
            {
              key: event.orderId,
              value: JSON.stringify(out.event),
              headers: { 'x-origin-ts': String(message.headers?.['x-origin-ts'] ?? '') },
            },
          ],
        });
      }
    },
  });
  await joined;

  let server: ReturnType<Koa['listen']> | undefined;
  if (name === 'orders') {
    const app = new Koa();
    const router = new Router();
    router.post('/orders', async (ctx) => {
      const body = (await coBody.json(ctx)) as Json;
      const items = (body.items as Json[]).map((i) => ({
        itemId: i.itemId,
        quantity: i.quantity,
        unitPriceCents: catalogItem(i.itemId)?.priceCents ?? 0,
      }));
      const event = {
        type: 'OrderCreated',
        eventId: randomUUID(),
        orderId: body.orderId ?? randomUUID(),
        occurredAt: new Date().toISOString(),
        customerId: body.customerId,
        email: body.email ?? null,
        items,
        totalCents: items.reduce((s, i) => s + i.quantity * i.unitPriceCents, 0),
        currency: 'EUR',
      };
      await producer.send({
        topic: `${prefix}orders.events`,
        acks: -1,
        messages: [
          {
            key: event.orderId,
            value: JSON.stringify(event),
            headers: { 'x-origin-ts': String(Date.now()) },
          },
        ],
      });
      ctx.status = 201;
      ctx.body = { orderId: event.orderId, status: 'CREATED' };
    });
    app.use(router.routes());
    server = app.listen(Number(env.PORT ?? 0), '127.0.0.1');
    await new Promise((r) => server!.once('listening', r));
  }
  const address = server?.address();
  return {
    url: address && typeof address === 'object' ? `http://127.0.0.1:${address.port}` : undefined,
    async stop() {
      await new Promise((r) => (server ? server.close(r) : r(undefined)));
      await consumer.disconnect();
      await producer.disconnect();
      await pool.end();
    },
  };
}
