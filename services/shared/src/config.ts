// The one configuration reader. Entry files pass their environment in (only main.ts
// touches process.env); every bad value is collected and reported in one ConfigError.
import { ConfigError } from './errors';
import { DEFAULTS } from './defaults';
import type { AuthSettings } from './auth/middleware';
import { SUBJECT_NAME_STRATEGIES, type SubjectNameStrategy } from './contracts/subjects';
import { SAMPLERS, TRACE_EXPORTERS, type TracingConfig } from './tracing/settings';
import { env, readEnv, type Env, type Parsed, type Spec } from './env-reader';

export { env, readEnv, redactUrl, type Env, type Parsed, type Spec } from './env-reader';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const SASL = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

/** What every service reads; a service's own spec adds to it. */
export const commonSpec = {
  KAFKA_BROKERS: env.hostPorts(DEFAULTS.KAFKA_BROKERS),
  KAFKA_SSL: env.bool(false),
  KAFKA_SASL_MECHANISM: env.optionalOneOf([...SASL]),
  KAFKA_SASL_USERNAME: env.optionalText(),
  KAFKA_SASL_PASSWORD: env.optionalText(),
  // PEM text, usually mounted as a file: KAFKA_SSL_CA_FILE=/run/secrets/kafka-ca.pem.
  KAFKA_SSL_CA: env.optionalText(),
  KAFKA_SSL_CERT: env.optionalText(),
  KAFKA_SSL_KEY: env.optionalText(),
  KAFKA_SESSION_TIMEOUT_MS: env.int(6_000, 300_000, 30_000),
  // 0: the broker answers a fetch as soon as one event waits (see docs/benchmarks.md, "Fetch linger").
  KAFKA_FETCH_LINGER_MS: env.int(0, 1_000, 0),
  // Unset: the smaller of 3 and the brokers the cluster reports, and replication factor − 1 (at
  // least 1), decided when topics are created (services/shared/src/admin.ts).
  KAFKA_REPLICATION_FACTOR: env.optionalInt(1, 32),
  KAFKA_MIN_INSYNC_REPLICAS: env.optionalInt(1, 32),
  SCHEMA_REGISTRY_URL: env.url(['http:', 'https:'], DEFAULTS.SCHEMA_REGISTRY_URL),
  SCHEMA_REGISTRY_USERNAME: env.optionalText(),
  SCHEMA_REGISTRY_PASSWORD: env.optionalText(),
  SUBJECT_NAME_STRATEGY: env.oneOf([...SUBJECT_NAME_STRATEGIES], 'topic-record'),
  DATABASE_URL: env.url(['postgres:', 'postgresql:'], DEFAULTS.DATABASE_URL),
  DATABASE_SSL: env.bool(false),
  DATABASE_SSL_CA: env.optionalText(),
  TOPIC_PREFIX: env.matching(
    /^[A-Za-z0-9._-]{0,100}$/,
    'at most 100 of A-Z a-z 0-9 . _ - (it prefixes topic names)',
    '',
  ),
  HOST: env.matching(/^[A-Za-z0-9.:-]{1,253}$/, 'a host name or IP address to listen on', '127.0.0.1'),
  // Per client IP, a token bucket: PER_SECOND tokens a second, up to BURST; 0 turns it off.
  HTTP_RATE_LIMIT_PER_SECOND: env.int(0, 1_000_000, 100),
  HTTP_RATE_LIMIT_BURST: env.int(1, 1_000_000, 200),
  // Bearer JWTs on every route but health, metrics and public ones; off is for demos only.
  AUTH_MODE: env.oneOf(['jwt', 'off'], 'jwt'),
  AUTH_JWKS_URL: env.optionalUrl(['http:', 'https:']),
  AUTH_ISSUER: env.optionalText(),
  AUTH_AUDIENCE: env.optionalText(),
  AUTH_CLOCK_SKEW_SECONDS: env.int(0, 300, 30),
  // Health and metrics on a listener of their own, off the public port.
  ADMIN_PORT: env.optionalPort(),
  // Test-only: every consumed chunk waits this long inside its transaction (a slow consumer).
  ORDERFLOW_TEST_HANDLER_DELAY_MS: env.int(0, 600_000, 0),
  // Test-only: after SIGUSR2 the process SIGKILLs itself right after its next consumed chunk commits.
  ORDERFLOW_TEST_CRASH_ON_SIGUSR2: env.bool(false),
  LOG_LEVEL: env.oneOf([...LOG_LEVELS], 'info'),
  // SIGTERM drains within this, even with Kafka or PostgreSQL unreachable (an orchestrator's
  // usual grace is 30 s); what is not done by then is abandoned, redelivered and deduplicated.
  SHUTDOWN_TIMEOUT_MS: env.int(1_000, 600_000, 25_000),
  // Inbox rows older than this are deleted: the topics keep events 7 days, plus a day's margin.
  INBOX_RETENTION_HOURS: env.int(1, 100_000, 8 * 24),
  INBOX_PRUNE_INTERVAL_MS: env.int(100, 86_400_000, 60_000),
  // OpenTelemetry's own variables (one exporter, not a list); off unless an exporter is named.
  OTEL_TRACES_EXPORTER: env.oneOf([...TRACE_EXPORTERS], 'none'),
  OTEL_EXPORTER_OTLP_ENDPOINT: env.url(['http:', 'https:'], 'http://localhost:4318'),
  OTEL_EXPORTER_ZIPKIN_ENDPOINT: env.url(['http:', 'https:'], 'http://localhost:9411/api/v2/spans'),
  OTEL_SERVICE_NAME: env.optionalText(),
  OTEL_TRACES_SAMPLER: env.oneOf([...SAMPLERS], 'parentbased_always_on'),
  OTEL_TRACES_SAMPLER_ARG: env.ratio(1),
};

export interface KafkaConfig {
  brokers: string[];
  /** true: TLS with the system's CAs; an object: TLS with this CA and/or client certificate. */
  ssl: boolean | { ca?: string; cert?: string; key?: string };
  sasl?: { mechanism: (typeof SASL)[number]; username: string; password: string };
  /** How long the group waits for a silent member before rebalancing without it. */
  sessionTimeoutMs?: number;
  /** How long the broker may hold a fetch to gather more events (0: answer at once). */
  fetchLingerMs?: number;
  /** Of every topic orderflow creates; unset parts take the cluster's defaults (see admin.ts). */
  replication?: ReplicationWanted;
}

/** KAFKA_REPLICATION_FACTOR and KAFKA_MIN_INSYNC_REPLICAS as configured (undefined: default). */
export interface ReplicationWanted {
  factor?: number;
  minInsync?: number;
}

export interface ServiceConfig {
  service: string;
  kafka: KafkaConfig;
  registry: { url: string; username?: string; password?: string; subjectStrategy: SubjectNameStrategy };
  /** ssl: true verifies the server against the system's CAs; `{ ca }` against that CA. */
  database: { url: string; ssl: boolean | { ca: string } };
  /** Prefixes topics, subjects, consumer groups and the database schema; tests isolate runs with it. */
  prefix: string;
  http: {
    host: string;
    port: number;
    /** When set, /health/* and /metrics are served here and not on `port`. */
    adminPort?: number;
    rateLimit?: { perSecond: number; burst: number };
  };
  /** Absent when read without `{ auth: true }`: such a config cannot start a service. */
  auth?: AuthSettings;
  logLevel: (typeof LOG_LEVELS)[number];
  /** SIGTERM's bound (SHUTDOWN_TIMEOUT_MS). */
  shutdownTimeoutMs: number;
  inbox: { retentionHours: number; pruneIntervalMs: number };
  tracing: TracingConfig;
  /** Test-only (ORDERFLOW_TEST_HANDLER_DELAY_MS): makes this consumer slow on purpose. Off (0) by default. */
  testHandlerDelayMs?: number;
  /** Test-only (ORDERFLOW_TEST_CRASH_ON_SIGUSR2): SIGUSR2 arms a crash after the next chunk commits. */
  testCrashOnSigusr2?: boolean;
}

/**
 * Reads the common settings plus a service's own, and checks the pairs that only make
 * sense together (SASL needs a user and password).
 */
export function loadServiceConfig<S extends Spec>(
  service: string,
  defaultPort: number,
  ownSpec: S,
  source: Env,
  /** Whether the AUTH_* settings are read and required (every service does; topics:create serves no HTTP). */
  { auth = false }: { auth?: boolean } = {},
): ServiceConfig & { own: Parsed<S> } {
  const problems: string[] = [];
  const attempt = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      problems.push(...e.problems);
      return undefined;
    }
  };
  const raw = attempt(() => readEnv({ ...commonSpec, PORT: env.port(defaultPort) }, source));
  const own = attempt(() => readEnv(ownSpec, source));
  const saslSet = Boolean(source.KAFKA_SASL_MECHANISM);
  if (
    saslSet &&
    !(source.KAFKA_SASL_USERNAME && (source.KAFKA_SASL_PASSWORD || source.KAFKA_SASL_PASSWORD_FILE))
  ) {
    problems.push(
      'KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD are required when KAFKA_SASL_MECHANISM is set',
    );
  }
  if (
    Boolean(source.SCHEMA_REGISTRY_USERNAME) !==
    Boolean(source.SCHEMA_REGISTRY_PASSWORD || source.SCHEMA_REGISTRY_PASSWORD_FILE)
  ) {
    problems.push('SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD must be set together');
  }
  const tlsSet = ['KAFKA_SSL_CA', 'KAFKA_SSL_CERT', 'KAFKA_SSL_KEY'].filter(
    (n) => source[n] || source[`${n}_FILE`],
  );
  if (tlsSet.length > 0 && raw && !raw.KAFKA_SSL) problems.push(`${tlsSet.join(', ')} need KAFKA_SSL=true`);
  if (
    Boolean(source.KAFKA_SSL_CERT || source.KAFKA_SSL_CERT_FILE) !==
    Boolean(source.KAFKA_SSL_KEY || source.KAFKA_SSL_KEY_FILE)
  ) {
    problems.push('KAFKA_SSL_CERT and KAFKA_SSL_KEY must be set together');
  }
  if (
    raw?.KAFKA_MIN_INSYNC_REPLICAS !== undefined &&
    raw.KAFKA_REPLICATION_FACTOR !== undefined &&
    raw.KAFKA_MIN_INSYNC_REPLICAS > raw.KAFKA_REPLICATION_FACTOR
  ) {
    problems.push(
      `KAFKA_MIN_INSYNC_REPLICAS=${raw.KAFKA_MIN_INSYNC_REPLICAS} is more than KAFKA_REPLICATION_FACTOR=${raw.KAFKA_REPLICATION_FACTOR}: no write could ever succeed`,
    );
  }
  if ((source.DATABASE_SSL_CA || source.DATABASE_SSL_CA_FILE) && raw && !raw.DATABASE_SSL)
    problems.push('DATABASE_SSL_CA needs DATABASE_SSL=true');
  if (auth && raw?.AUTH_MODE === 'jwt') {
    const missing = ['AUTH_JWKS_URL', 'AUTH_ISSUER', 'AUTH_AUDIENCE'].filter(
      (n) => !raw[n as keyof typeof raw],
    );
    for (const name of missing) problems.push(`${name} is required when AUTH_MODE=jwt (the default)`);
  }
  if (raw?.ADMIN_PORT !== undefined && raw.ADMIN_PORT !== 0 && raw.ADMIN_PORT === raw.PORT)
    problems.push(`ADMIN_PORT must differ from PORT (${raw.PORT})`);
  if (problems.length > 0 || !raw || !own) throw new ConfigError(problems);
  const kafkaTls = { ca: raw.KAFKA_SSL_CA, cert: raw.KAFKA_SSL_CERT, key: raw.KAFKA_SSL_KEY };

  return {
    service,
    kafka: {
      brokers: raw.KAFKA_BROKERS,
      ssl:
        raw.KAFKA_SSL && Object.values(kafkaTls).some(Boolean) ? withoutUndefined(kafkaTls) : raw.KAFKA_SSL,
      sessionTimeoutMs: raw.KAFKA_SESSION_TIMEOUT_MS,
      fetchLingerMs: raw.KAFKA_FETCH_LINGER_MS,
      replication: { factor: raw.KAFKA_REPLICATION_FACTOR, minInsync: raw.KAFKA_MIN_INSYNC_REPLICAS },
      sasl: raw.KAFKA_SASL_MECHANISM
        ? {
            mechanism: raw.KAFKA_SASL_MECHANISM,
            username: raw.KAFKA_SASL_USERNAME!,
            password: raw.KAFKA_SASL_PASSWORD!,
          }
        : undefined,
    },
    registry: {
      url: raw.SCHEMA_REGISTRY_URL,
      username: raw.SCHEMA_REGISTRY_USERNAME,
      password: raw.SCHEMA_REGISTRY_PASSWORD,
      subjectStrategy: raw.SUBJECT_NAME_STRATEGY,
    },
    database: {
      url: raw.DATABASE_URL,
      ssl: raw.DATABASE_SSL && raw.DATABASE_SSL_CA ? { ca: raw.DATABASE_SSL_CA } : raw.DATABASE_SSL,
    },
    prefix: raw.TOPIC_PREFIX,
    http: {
      host: raw.HOST,
      port: raw.PORT,
      adminPort: raw.ADMIN_PORT,
      rateLimit: { perSecond: raw.HTTP_RATE_LIMIT_PER_SECOND, burst: raw.HTTP_RATE_LIMIT_BURST },
    },
    auth: !auth
      ? undefined
      : raw.AUTH_MODE === 'off'
        ? { mode: 'off' }
        : {
            mode: 'jwt',
            jwksUrl: raw.AUTH_JWKS_URL!,
            issuer: raw.AUTH_ISSUER!,
            audience: raw.AUTH_AUDIENCE!,
            clockSkewSeconds: raw.AUTH_CLOCK_SKEW_SECONDS,
          },
    logLevel: raw.LOG_LEVEL,
    tracing: {
      exporter: raw.OTEL_TRACES_EXPORTER,
      // The OTLP variable names the collector's base URL; traces go to its /v1/traces.
      endpoint:
        raw.OTEL_TRACES_EXPORTER === 'otlp'
          ? `${raw.OTEL_EXPORTER_OTLP_ENDPOINT}/v1/traces`
          : raw.OTEL_TRACES_EXPORTER === 'zipkin'
            ? raw.OTEL_EXPORTER_ZIPKIN_ENDPOINT
            : undefined,
      serviceName: raw.OTEL_SERVICE_NAME ?? service,
      sampler: raw.OTEL_TRACES_SAMPLER,
      samplerRatio: raw.OTEL_TRACES_SAMPLER_ARG,
    },
    testHandlerDelayMs: raw.ORDERFLOW_TEST_HANDLER_DELAY_MS,
    testCrashOnSigusr2: raw.ORDERFLOW_TEST_CRASH_ON_SIGUSR2,
    shutdownTimeoutMs: raw.SHUTDOWN_TIMEOUT_MS,
    inbox: { retentionHours: raw.INBOX_RETENTION_HOURS, pruneIntervalMs: raw.INBOX_PRUNE_INTERVAL_MS },
    own,
  };
}

function withoutUndefined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
