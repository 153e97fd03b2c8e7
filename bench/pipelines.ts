// The three pipelines the bench compares, each able to start its intake, its workers, a
// lone worker over a pre-filled backlog, and to say which message ends an order's saga.
import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';
import {
  EVENT_NAMES,
  EventCodec,
  SERVICE_NAMES,
  serviceNodeFlags,
  SchemaRegistryClient,
  avroTypeOf,
  ensureTopics,
  groupOf,
  loadAvroSchema,
  platformTopics,
  registerEventSchemas,
  schemaName,
  type EventName,
  type EventPayloads,
} from '@orderflow/shared';
import { spawnChild, type Child } from './lib/procs';
import type { OutMessage } from './lib/kafka';
import type { Request } from './lib/load';
import { peerSchema } from './peer';

export type PipelineName = 'ceiling' | 'peer' | 'orderflow';
export type WorkerName = 'billing' | 'inventory' | 'shipping' | 'notifications';
export const CHAIN: WorkerName[] = ['billing', 'inventory', 'shipping', 'notifications'];
/** The ceiling's ways to drain a backlog: forward per message, forward per batch, consume only. */
export const CEILING_DRAINS = ['relay-message', 'relay-batch', 'consume-only'] as const;

export interface StackEnv {
  KAFKA_BROKERS: string;
  SCHEMA_REGISTRY_URL: string;
  DATABASE_URL: string;
  /** orderflow runs with auth on, as deployed: it trusts the bench's own token issuer. */
  AUTH_JWKS_URL?: string;
  AUTH_ISSUER?: string;
  AUTH_AUDIENCE?: string;
}

export interface BenchContext {
  stack: StackEnv;
  kafka: Kafka;
  logDir: string;
  sql(text: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** Size of an encoded OrderCreated: the ceiling's worker drains move buffers of this size. */
  payloadBytes: number;
}

/** What a worker drain needs: the topic to fill, the messages, and the topic its outputs land on. */
export interface DrainSpec {
  input: string;
  output?: string;
  messages: OutMessage[];
  start(): Promise<Child>;
}

export interface Pipeline {
  name: PipelineName;
  startIntake(prefix: string): Promise<Child>;
  /** Everything but the intake (the ceiling: four forwarding relays). */
  startWorkers(prefix: string): Promise<Child[]>;
  /** Where the platform phase's orders enter when there is no HTTP intake (the ceiling). */
  directInput?(prefix: string): string;
  terminalTopic(prefix: string): string;
  terminalOrderId(m: KafkaMessage): Promise<string | undefined> | string | undefined;
  drainNames: readonly string[];
  drain(prefix: string, name: string, count: number): Promise<DrainSpec>;
  /** Orders the pipeline's own state says are finished (orderflow's projection), for correctness. */
  finishedInState?(prefix: string, orderIds: string[]): Promise<number>;
  prepare(prefix: string): Promise<void>;
  cleanup(prefix: string): Promise<void>;
}

function headersFor(orderId: string) {
  return { 'x-origin-ts': String(Date.now()), 'x-correlation-id': `bench-${orderId.slice(0, 8)}` };
}

async function deleteByPrefix(kafka: Kafka, prefix: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 }).catch(() => undefined);
    const { groups } = await admin.listGroups();
    const mine = groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix));
    if (mine.length > 0) await admin.deleteGroups(mine).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}

// ---------------------------------------------------------------------------- orderflow

function eventFor(type: EventName, orderId: string): EventPayloads[EventName] {
  const base = { eventId: randomUUID(), orderId, occurredAt: new Date().toISOString() };
  const customer = { customerId: 'c-bench', email: 'ada@example.com' };
  const lines = [{ itemId: 'ceramic-mug', quantity: 1 }];
  switch (type) {
    case 'OrderCreated':
      return {
        ...base,
        ...customer,
        items: [{ ...lines[0]!, unitPriceCents: 1450 }],
        totalCents: 1450,
        currency: 'EUR',
      };
    case 'PaymentCaptured':
      return {
        ...base,
        ...customer,
        paymentId: randomUUID(),
        amountCents: 1450,
        currency: 'EUR',
        items: lines,
      };
    case 'InventoryReserved':
      return { ...base, ...customer, reservationId: randomUUID(), items: lines };
    case 'ShippingScheduled':
      return {
        ...base,
        ...customer,
        shipmentId: randomUUID(),
        carrier: 'DHL',
        scheduledFor: new Date(Date.now() + 86_400_000).toISOString(),
        items: lines,
      };
    default:
      throw new Error(`no bench event for ${type}`);
  }
}

const INPUT_OF: Record<WorkerName, { type: EventName; topic: string; output: string }> = {
  billing: { type: 'OrderCreated', topic: 'orders.events', output: 'billing.events' },
  inventory: { type: 'PaymentCaptured', topic: 'billing.events', output: 'inventory.events' },
  shipping: { type: 'InventoryReserved', topic: 'inventory.events', output: 'shipping.events' },
  notifications: { type: 'ShippingScheduled', topic: 'shipping.events', output: 'notifications.events' },
};

/** orderflow's five services; `extraEnv` on top of the bench's settings (tracing, for one). */
export function orderflowPipeline(ctx: BenchContext, extraEnv: Record<string, string> = {}): Pipeline {
  const registry = new SchemaRegistryClient({ url: ctx.stack.SCHEMA_REGISTRY_URL });
  const readerSchemas = new Map(EVENT_NAMES.map((e) => [e, loadAvroSchema(e)]));
  const reader = new EventCodec({ source: registry, parse: avroTypeOf, readerSchemas, writerIds: new Map() });
  const env = (prefix: string) => ({
    ...ctx.stack,
    TOPIC_PREFIX: prefix,
    PORT: '0',
    LOG_LEVEL: 'warn',
    PAYMENT_LIMIT_CENTS: '100000000',
    HTTP_RATE_LIMIT_PER_SECOND: '0', // one load generator on one address: the per-client limit is off
    ...extraEnv,
  });
  const start = (prefix: string, service: string) =>
    spawnChild(
      `orderflow.${service}`,
      ['orderflow', service],
      env(prefix),
      `${ctx.logDir}/${prefix}${service}.log`,
      serviceNodeFlags(service), // as in production
      true, // compiled (dist/), as in production
    );
  return {
    name: 'orderflow',
    startIntake: (prefix) => start(prefix, 'orders'),
    startWorkers: (prefix) => Promise.all(CHAIN.map((w) => start(prefix, w))),
    terminalTopic: (prefix) => `${prefix}notifications.events`,
    async terminalOrderId(m) {
      const { type, payload } = await reader.decode<{ orderId: string; kind?: string }>(m.value);
      return type === 'EmailSent' && payload.kind === 'SHIPPING_SCHEDULED' ? payload.orderId : undefined;
    },
    drainNames: CHAIN,
    async drain(prefix, name, count) {
      const input = INPUT_OF[name as WorkerName];
      const ids = await registerEventSchemas({ registry, events: [input.type], prefix });
      const writer = new EventCodec({
        source: registry,
        parse: avroTypeOf,
        readerSchemas,
        writerIds: new Map([[input.type, ids.get(input.type)!.id]]),
      });
      const messages = Array.from({ length: count }, () => {
        const orderId = randomUUID();
        return {
          key: orderId,
          value: writer.encode(input.type, eventFor(input.type, orderId) as never),
          headers: { ...headersFor(orderId), 'x-event-type': input.type },
        };
      });
      return {
        input: prefix + input.topic,
        output: prefix + input.output,
        messages,
        start: () => start(prefix, name),
      };
    },
    async finishedInState(prefix, orderIds) {
      const rows = await ctx.sql(
        `SELECT count(*)::int AS n FROM ${schemaName('orders', prefix)}.orders WHERE status = 'SHIPPED' AND order_id = ANY($1)`,
        [orderIds],
      );
      return Number(rows[0]?.n ?? 0);
    },
    // Every topic up front, DLQs too: five services creating topics at once can trip over each other.
    prepare: async (prefix) =>
      void (await ensureTopics(
        ctx.kafka,
        platformTopics(
          prefix,
          SERVICE_NAMES.map((s) => groupOf(s, prefix)),
        ),
      )),
    async cleanup(prefix) {
      for (const s of SERVICE_NAMES) await ctx.sql(`DROP SCHEMA IF EXISTS ${schemaName(s, prefix)} CASCADE`);
      await deleteByPrefix(ctx.kafka, prefix);
    },
  };
}

// ---------------------------------------------------------------------------- peer

const PEER_EVENT_TYPE: Record<WorkerName, string> = {
  billing: 'OrderCreated',
  inventory: 'PaymentCaptured',
  shipping: 'InventoryReserved',
  notifications: 'ShippingScheduled',
};

export function peerPipeline(ctx: BenchContext): Pipeline {
  const env = (prefix: string) => ({ ...ctx.stack, TOPIC_PREFIX: prefix, PORT: '0' });
  const start = (prefix: string, service: string) =>
    spawnChild(
      `peer.${service}`,
      ['peer', service],
      env(prefix),
      `${ctx.logDir}/${prefix}peer-${service}.log`,
    );
  return {
    name: 'peer',
    startIntake: (prefix) => start(prefix, 'orders'),
    startWorkers: (prefix) => Promise.all(CHAIN.map((w) => start(prefix, w))),
    terminalTopic: (prefix) => `${prefix}notifications.events`,
    terminalOrderId(m) {
      const e = JSON.parse(m.value!.toString()) as { orderId: string; kind: string };
      return e.kind === 'SHIPPING_SCHEDULED' ? e.orderId : undefined;
    },
    drainNames: CHAIN,
    async drain(prefix, name, count) {
      const w = name as WorkerName;
      const messages = Array.from({ length: count }, () => {
        const orderId = randomUUID();
        const event = { type: PEER_EVENT_TYPE[w], ...eventFor(INPUT_OF[w].type, orderId) };
        return { key: orderId, value: JSON.stringify(event), headers: headersFor(orderId) };
      });
      return {
        input: prefix + INPUT_OF[w].topic,
        output: prefix + INPUT_OF[w].output,
        messages,
        start: () => start(prefix, name),
      };
    },
    prepare: async (prefix) => void (await ensureTopics(ctx.kafka, platformTopics(prefix))),
    async cleanup(prefix) {
      await ctx.sql(`DROP SCHEMA IF EXISTS ${peerSchema(prefix)} CASCADE`);
      await deleteByPrefix(ctx.kafka, prefix);
    },
  };
}

// ---------------------------------------------------------------------------- ceiling

export function ceilingPipeline(ctx: BenchContext): Pipeline {
  const env = (prefix: string) => ({ ...ctx.stack, TOPIC_PREFIX: prefix });
  const hop = (prefix: string, i: number) => `${prefix}c${i}`;
  const start = (prefix: string, args: string[]) =>
    spawnChild(
      `ceiling.${args.join('.')}`,
      ['ceiling', ...args],
      env(prefix),
      `${ctx.logDir}/${prefix}ceiling-${args[0]}.log`,
    );
  const buffers = (count: number) =>
    Array.from({ length: count }, () => {
      const orderId = randomUUID();
      return { key: orderId, value: Buffer.alloc(ctx.payloadBytes, 7), headers: headersFor(orderId) };
    });
  return {
    name: 'ceiling',
    startIntake: (prefix) => start(prefix, ['http']),
    startWorkers: (prefix) =>
      Promise.all(CHAIN.map((_, i) => start(prefix, ['relay', 'batch', hop(prefix, i), hop(prefix, i + 1)]))),
    directInput: (prefix) => hop(prefix, 0),
    terminalTopic: (prefix) => hop(prefix, CHAIN.length),
    terminalOrderId: (m) => m.key?.toString(),
    drainNames: CEILING_DRAINS,
    async drain(prefix, name, count) {
      const [input, output] = [`${prefix}in`, `${prefix}out`];
      await ensureTopics(ctx.kafka, [{ topic: input }, { topic: output }]);
      const args =
        name === 'consume-only'
          ? ['sink', input, String(count)]
          : ['relay', name.replace('relay-', ''), input, output];
      return {
        input,
        output: name === 'consume-only' ? undefined : output,
        messages: buffers(count),
        start: () => start(prefix, args),
      };
    },
    prepare: async (prefix) =>
      void (await ensureTopics(
        ctx.kafka,
        CHAIN.concat(['notifications']).map((_, i) => ({ topic: hop(prefix, i) })),
      )),
    cleanup: (prefix) => deleteByPrefix(ctx.kafka, prefix),
  };
}

/** An order for the ceiling's chain: the body orderflow and the peer receive over HTTP, as is. */
export function ceilingMessage(request: Request): OutMessage {
  return { key: request.orderId, value: request.body, headers: headersFor(request.orderId) };
}
