// The service runtime: builds the AppContext (database, Kafka, registry, codec, metrics),
// runs the consumer loop, the outbox relay and the HTTP server, and stops them in reverse.
// A service is a definition — what it stores, handles, publishes and serves — passed here.
import { ensureTopics, serviceTopics } from './admin';
import { authenticate } from './auth';
import { EventCodec } from './codec';
import { loadServiceConfig, redactUrl, type Env, type Parsed, type ServiceConfig, type Spec } from './config';
import { DEFAULT_PORTS } from './defaults';
import {
  SchemaRegistryClient,
  registerEventSchemas,
  branchesOf,
  avroTypeOf,
  loadAvroSchema,
} from './contracts';
import { EventConsumer } from './consumer';
import { createDb, schemaName } from './db';
import { createHttpApp, listen, Router, type HttpServer } from './http';
import { EventProducer } from './event-producer';
import { createKafka, createProducer } from './kafka';
import { createLogger } from './logger';
import { createMetrics } from './metrics';
import { appendToOutbox, publishingTransactions } from './outbox';
import { OutboxRelay } from './outbox-relay';
import { schemaSource } from './schema-source';
import { crashAfterCommitOnSigusr2, delayEachTransaction } from './test-delay';
import { InboxRetention } from './inbox-retention';
import { RUNTIME_MIGRATIONS } from './schema-migrations';
import { stopWithin, type StopOutcome, type StopStep } from './shutdown';
import { startTracing } from './tracing';
import { EVENT_NAMES, groupOf, type EventName, type ServiceName } from './topics';
import type { AppContext, Lifecycle, RunningService, ServiceDefinition, StartOptions } from './service-types';

export * from './service-types';

/**
 * What a service's module exports: `readConfig(env)` (its own settings on top of the common
 * ones) and `start(config)`, so main.ts and in-process tests start it the same way.
 */
export function serviceModule<S extends Spec>(
  name: ServiceName,
  ownSpec: S,
  define: (own: Parsed<S>) => ServiceDefinition,
) {
  const readConfig = (source: Env) =>
    loadServiceConfig(name, DEFAULT_PORTS[name], ownSpec, source, { auth: true });
  const start = (config: ReturnType<typeof readConfig>, options?: StartOptions) =>
    startService(define(config.own), config, options);
  return { readConfig, start };
}

export async function startService(
  definition: ServiceDefinition,
  config: ServiceConfig,
  options: StartOptions = {},
): Promise<RunningService> {
  let state: Lifecycle = 'starting';
  const logger = createLogger({
    service: definition.name,
    level: config.logLevel,
    destination: options.logDestination,
  });
  const cleanups: StopStep[] = [];
  const cleanUp = () => stopWithin([...cleanups].reverse(), config.shutdownTimeoutMs, logger);

  try {
    logger.info(
      {
        kafka: config.kafka.brokers,
        registry: redactUrl(config.registry.url),
        database: redactUrl(config.database.url),
        prefix: config.prefix,
      },
      `starting ${definition.name}`,
    );
    if (!config.auth) throw new Error('cannot start: http: no auth settings (read with { auth: true })');
    if (config.auth.mode === 'off')
      logger.warn('AUTH_MODE=off: anyone who reaches this service may place and read any order');
    const readers = options.readers ?? {};
    const ownReader = definition.produces.find((event) => readers[event]);
    if (ownReader)
      throw new Error(
        `cannot start: ${definition.name} produces ${ownReader}, so it reads it as it registers it`,
      );
    const metrics = createMetrics(definition.name);
    const tracing = await startTracing(config.tracing, logger, options.tracing);
    cleanups.push({ what: 'trace exporter', run: () => tracing.shutdown() });
    const group = groupOf(definition.name, config.prefix);

    const db = await step('database', () =>
      createDb({
        url: config.database.url,
        ssl: config.database.ssl,
        schema: schemaName(definition.name, config.prefix),
        logger,
      }),
    );
    cleanups.push({ what: 'database pool', run: () => db.close() });
    await step('database migrations', async () => {
      const applied = await db.migrate(migrationsOf(definition));
      if (applied.length > 0) logger.info({ schema: db.schema, applied }, 'database schema migrated');
      await definition.seed?.(db);
    });

    const kafka = createKafka(config.kafka, `orderflow-${definition.name}`, logger);
    await step('kafka', () =>
      ensureTopics(kafka, serviceTopics(definition.name, config.prefix), {
        replication: config.kafka.replication,
        namedBrokers: config.kafka.brokers.length,
        warn: (message) => logger.warn(message),
      }),
    );

    const { url, username, password } = config.registry;
    const registry = new SchemaRegistryClient({
      url,
      auth: username && password ? { username, password } : undefined,
    });
    const registered = await step('schema registry', () =>
      registerEventSchemas({
        registry,
        events: definition.produces,
        prefix: config.prefix,
        strategy: config.registry.subjectStrategy,
      }),
    );
    const codec = new EventCodec({
      source: schemaSource(registry, metrics),
      parse: avroTypeOf,
      readerSchemas: new Map(EVENT_NAMES.map((e) => [e, readers[e]?.avro ?? loadAvroSchema(e)])),
      contracts: new Map(Object.entries(readers).map(([e, contract]) => [e as EventName, contract.json])),
      writerIds: new Map([...registered].map(([event, { id }]) => [event, id])),
      writerBranches: branchesOf(registered),
      onSchemaLookup: (cached) => cached && metrics.schemaCacheHits.inc(),
    });

    const producer = new EventProducer(() => createProducer(kafka), logger.child({ module: 'producer' }));
    await step('kafka', () => producer.connect());
    cleanups.push({ what: 'Kafka producer', run: () => producer.disconnect() });

    const relay = new OutboxRelay({
      db,
      producer,
      logger: logger.child({ module: 'outbox' }),
      metrics,
      tracing,
    });
    relay.start();
    cleanups.push({ what: 'outbox relay', run: () => relay.stop() });
    const retention = new InboxRetention({ db, logger, metrics, ...config.inbox });
    retention.start();
    cleanups.push({ what: 'inbox retention', run: () => retention.stop() });

    const transaction = publishingTransactions(db, relay);
    const app: AppContext = { config, logger, metrics, db, codec, transaction, tracing };
    const handlers = definition.handlers(app);
    let consumer: EventConsumer | undefined;
    if (Object.keys(handlers).length > 0) {
      const stopping = new AbortController();
      const delayMs = config.testHandlerDelayMs;
      const consumed = config.testCrashOnSigusr2 ? crashAfterCommitOnSigusr2(transaction) : transaction;
      consumer = new EventConsumer({
        service: definition.name,
        group,
        prefix: config.prefix,
        kafka,
        producer,
        codec,
        transaction: delayMs ? delayEachTransaction(consumed, delayMs, stopping.signal) : consumed,
        outbox: appendToOutbox,
        handlers,
        logger,
        metrics,
        tracing,
        sessionTimeoutMs: config.kafka.sessionTimeoutMs,
        fetchLingerMs: config.kafka.fetchLingerMs,
      });
      await step('kafka', () => consumer!.start());
      cleanups.push({ what: 'Kafka consumer (offsets of handled events)', run: () => consumer!.stop() });
      cleanups.push({ what: 'delayed test transaction', run: async () => stopping.abort() }); // runs first: a delayed transaction gives up
    }

    const router = new Router();
    definition.routes?.(router, app);
    const readiness = async () => {
      const checks: Record<string, string> = {};
      await Promise.all([
        probe(checks, 'database', () => db.ping()),
        probe(checks, 'schemaRegistry', () => registry.ping()),
        probe(checks, 'kafka', async () => {
          if (consumer && !consumer.isReady()) throw new Error('consumer has not joined its group');
        }),
      ]);
      return { ready: Object.values(checks).every((c) => c === 'ok'), checks };
    };
    metrics.setScrapeHook(() => relay.refreshBacklogMetrics());
    const edge = { logger, metrics, readiness, rateLimit: config.http.rateLimit };
    const { adminPort } = config.http;
    const auth = authenticate(config.auth, definition.publicRoutes);
    const server: HttpServer = await step('http', () =>
      listen(
        createHttpApp({ ...edge, router, auth, tracing, operations: adminPort === undefined }),
        config.http.host,
        config.http.port,
      ),
    );
    cleanups.push({ what: 'HTTP server', run: () => server.close() });
    const admin =
      adminPort === undefined
        ? server
        : await step('http', () => listen(createHttpApp(edge), config.http.host, adminPort));
    if (admin !== server) cleanups.push({ what: 'admin HTTP server', run: () => admin.close() });

    state = 'running';
    logger.info({ url: server.url, group, consumes: consumer?.topics ?? [] }, `${definition.name} running`);

    let stopped: Promise<StopOutcome> | undefined;
    return {
      name: definition.name,
      url: server.url,
      adminUrl: admin.url,
      app,
      state: () => state,
      stop() {
        stopped ??= (async () => {
          state = 'stopping';
          logger.info(`stopping ${definition.name}`);
          const outcome = await cleanUp();
          state = 'stopped';
          logger.info(outcome, `${definition.name} stopped`);
          return outcome;
        })();
        return stopped;
      },
    };
  } catch (err) {
    await cleanUp();
    state = 'stopped';
    throw err;
  }
}

/** A service's migration directories: the runtime's, then its own. */
export function migrationsOf(definition: Pick<ServiceDefinition, 'migrations'>): string[] {
  return [RUNTIME_MIGRATIONS, ...(definition.migrations ? [definition.migrations] : [])];
}

/** Names the dependency a startup step needed when it fails. */
async function step<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw new Error(`cannot start: ${what}: ${(err as Error).message}`, { cause: err });
  }
}

async function probe(
  checks: Record<string, string>,
  name: string,
  check: () => Promise<void>,
): Promise<void> {
  try {
    await check();
    checks[name] = 'ok';
  } catch (err) {
    checks[name] = (err as Error).message || 'unreachable';
  }
}
