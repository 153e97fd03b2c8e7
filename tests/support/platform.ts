// Starts orderflow's services in-process against the real stack, each test file under its
// own prefix (topics, subjects, consumer groups, database schemas), and reads what they did.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { Kafka, logLevel, type Consumer, type KafkaConfig as KafkaJsConfig } from 'kafkajs';
import { Pool } from 'pg';
import {
  DEFAULTS,
  EventCodec,
  EVENT_NAMES,
  SchemaRegistryClient,
  avroTypeOf,
  ensureTopics,
  groupOf,
  loadAvroSchema,
  loadService,
  platformTopics,
  schemaName,
  SERVICE_NAMES,
  subjectsOf,
  type SubjectNameStrategy,
  type DecodedEvent,
  type Env,
  type RunningService,
  type ServiceName,
  type StartOptions,
} from '@orderflow/shared';
import { waitFor } from './wait';
import { readCommandConfig } from '../../scripts/config';
import { generateIssuerKey, startIssuer, type RunningIssuer } from '../../scripts/auth/issuer';

export const stackEnv = {
  KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? DEFAULTS.KAFKA_BROKERS,
  SCHEMA_REGISTRY_URL: process.env.SCHEMA_REGISTRY_URL ?? DEFAULTS.SCHEMA_REGISTRY_URL,
  DATABASE_URL: process.env.DATABASE_URL ?? DEFAULTS.DATABASE_URL,
};

let testIssuer: Promise<RunningIssuer> | undefined;

/**
 * One token issuer per test process (a real HTTP server serving its JWKS on 127.0.0.1), trusted
 * by every platform the process starts, as the local stack's issuer is by `npm start`.
 */
export function issuer(): Promise<RunningIssuer> {
  testIssuer ??= generateIssuerKey().then(async (key) => {
    const running = await startIssuer(key);
    running.unref();
    return running;
  });
  return testIssuer;
}

/** An `Authorization` header for a customer, or for an operator (who reads everything). */
export async function bearer(customer: string, { operator = false } = {}): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await (await issuer()).mint({ subject: customer, operator })}` };
}

export function uniquePrefix(): string {
  return `t${randomBytes(4).toString('hex')}-`;
}

/** Collects every log line of the services it is given to. */
export class LogCapture extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    for (const line of chunk.toString().split('\n'))
      if (line) this.lines.push(JSON.parse(line) as Record<string, unknown>);
    done();
  }
  messages(): string[] {
    return this.lines.map((l) => String(l.msg));
  }
}

export interface Platform {
  prefix: string;
  env: Env;
  logs: LogCapture;
  services: Partial<Record<ServiceName, RunningService>>;
  url(service: ServiceName): string;
  /** Starts an instance; it replaces the one the platform holds unless that one is running. */
  startService(service: ServiceName, env?: Env, options?: StartOptions): Promise<RunningService>;
  /** Runs SQL against the database (tables are schema-qualified by `table()`). */
  sql<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  table(service: ServiceName, name: string): string;
  kafka: Kafka;
  events: EventLog;
  stop(): Promise<void>;
}

export async function startPlatform(
  options: { services?: readonly ServiceName[]; env?: Env } = {},
): Promise<Platform> {
  const prefix = uniquePrefix();
  const env: Env = {
    ...stackEnv,
    ...(await issuer()).serviceEnv(),
    TOPIC_PREFIX: prefix,
    PORT: '0',
    LOG_LEVEL: 'info',
    ...options.env,
  };
  const logs = new LogCapture();
  const pool = new Pool({ connectionString: env.DATABASE_URL, max: 4 });
  // As the commands do (KAFKA_SSL, KAFKA_SASL_*): on a broker with ACLs, the platform is its admin.
  const { brokers, ssl, sasl } = readCommandConfig(env).kafka;
  const kafka = new Kafka({
    clientId: 'orderflow-tests',
    brokers,
    ssl,
    sasl: sasl as KafkaJsConfig['sasl'],
    logLevel: logLevel.NOTHING,
  });
  const topics = platformTopics(
    prefix,
    SERVICE_NAMES.map((s) => groupOf(s, prefix)),
  );
  await ensureTopics(kafka, topics);
  const events = new EventLog(kafka, prefix, env.SCHEMA_REGISTRY_URL!);
  await events.start();

  const services: Platform['services'] = {};
  const extra: RunningService[] = [];
  const platform: Platform = {
    prefix,
    env,
    logs,
    services,
    url: (service) => services[service]!.url,
    async startService(service, overrides = {}, startOptions = {}) {
      const module = await loadService(service);
      const config = module.readConfig({ ...env, ...overrides });
      const running = await module.start(config, { logDestination: logs, ...startOptions });
      if (services[service] && services[service]!.state() === 'running') extra.push(running);
      else services[service] = running;
      return running;
    },
    async sql(text, params) {
      return (await pool.query(text, params)).rows;
    },
    table: (service, name) => `${schemaName(service, prefix)}.${name}`,
    kafka,
    events,
    async stop() {
      await Promise.all([...Object.values(services), ...extra].map((s) => s!.stop()));
      await events.stop();
      for (const service of SERVICE_NAMES)
        await pool.query(`DROP SCHEMA IF EXISTS ${schemaName(service, prefix)} CASCADE`);
      await pool.end();
      // The stack outlives every run (the registry keeps its subjects in PostgreSQL): leave nothing.
      const registry = new SchemaRegistryClient({ url: env.SCHEMA_REGISTRY_URL! });
      // Unions before the records they reference (a referenced subject cannot go first).
      const strategy = (env.SUBJECT_NAME_STRATEGY ?? 'topic-record') as SubjectNameStrategy;
      for (const subject of subjectsOf(EVENT_NAMES, strategy, prefix).reverse())
        await registry.deleteSubject(subject);
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteTopics({ topics: topics.map((t) => t.topic) }).finally(() => admin.disconnect());
    },
  };
  try {
    for (const service of options.services ?? SERVICE_NAMES) await platform.startService(service);
  } catch (e) {
    await platform.stop();
    throw e;
  }
  return platform;
}

export interface LoggedEvent extends DecodedEvent<Record<string, unknown>> {
  topic: string;
  key: string;
  headers: Record<string, string>;
}

/** Reads every event topic of a prefix from the beginning, decoding through the registry. */
export class EventLog {
  readonly events: LoggedEvent[] = [];
  readonly undecodable: { topic: string; error: string }[] = [];
  private readonly consumer: Consumer;
  private readonly codec: EventCodec;

  constructor(
    kafka: Kafka,
    private readonly prefix: string,
    registryUrl: string,
  ) {
    this.consumer = kafka.consumer({ groupId: `${prefix}test-reader-${randomBytes(3).toString('hex')}` });
    const registry = new SchemaRegistryClient({ url: registryUrl });
    this.codec = new EventCodec({
      source: { schemaById: (id) => registry.schemaById(id) },
      parse: avroTypeOf,
      readerSchemas: new Map(EVENT_NAMES.map((e) => [e, loadAvroSchema(e)])),
      writerIds: new Map(),
    });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({
      topics: platformTopics(this.prefix).map((t) => t.topic),
      fromBeginning: true,
    });
    await this.consumer.run({
      eachMessage: async ({ topic, message }) => {
        const headers = Object.fromEntries(
          Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
        );
        try {
          const decoded = await this.codec.decode<Record<string, unknown>>(message.value);
          this.events.push({ ...decoded, topic, key: String(message.key), headers });
        } catch (e) {
          this.undecodable.push({ topic, error: (e as Error).message });
        }
      },
    });
  }

  ofOrder(orderId: string): LoggedEvent[] {
    return this.events.filter((e) => e.payload.orderId === orderId);
  }

  count(type: string, orderId?: string): number {
    return this.events.filter(
      (e) => e.type === type && (orderId === undefined || e.payload.orderId === orderId),
    ).length;
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}

/**
 * Without an Authorization header of the caller's, the test client acts as the customer the body
 * names (as a real customer's client would), or as an operator when it names none.
 */
export async function withCallerToken(
  headers: Record<string, string>,
  body?: unknown,
): Promise<Record<string, string>> {
  if (Object.keys(headers).some((h) => h.toLowerCase() === 'authorization')) return headers;
  const customer = (parsed(body) as { customerId?: unknown } | undefined)?.customerId;
  const auth =
    typeof customer === 'string' && /^[\s\S]{1,64}$/u.test(customer) // a schema-valid id (any characters, line breaks too); a huge one tests the body limit
      ? await bearer(customer)
      : await bearer('test-operator', { operator: true });
  return { ...auth, ...headers };
}

function parsed(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(await withCallerToken(headers, body)) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** GET as an operator unless `headers` carries an Authorization of the caller's. */
export async function getJson(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any }> {
  const response = await fetch(url, { headers: await withCallerToken(headers) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** Waits until an order reaches `status` (and no later than the deadline). */
export async function waitForStatus(
  platform: Platform,
  orderId: string,
  status: string,
  timeoutMs = 60_000,
): Promise<any> {
  return waitFor(
    async () => {
      const { body } = await getJson(`${platform.url('orders')}/orders/${orderId}`);
      return body?.status === status ? body : undefined;
    },
    { timeoutMs, what: `order ${orderId} to reach ${status}` },
  );
}
