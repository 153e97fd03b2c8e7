// The one configuration reader. Entry files pass their environment in (only main.ts
// touches process.env); every bad value is collected and reported in one ConfigError.
import { readFileSync } from 'node:fs';
import { ConfigError } from './errors';
import { DEFAULTS } from './defaults';
import type { AuthSettings } from './auth/middleware';
import { SUBJECT_NAME_STRATEGIES, type SubjectNameStrategy } from './contracts/subjects';
import { SAMPLERS, TRACE_EXPORTERS, type TracingConfig } from './tracing/settings';

export type Env = Readonly<Record<string, string | undefined>>;

/** Parses one variable; throws a string naming the problem. */
type Field<T> = (raw: string | undefined) => T;

function required<T>(parse: (raw: string) => T, fallback?: T): Field<T> {
  return (raw) => {
    if (raw === undefined || raw === '') {
      if (fallback === undefined) throw 'is required';
      return fallback;
    }
    return parse(raw);
  };
}

function optional<T>(parse: (raw: string) => T): Field<T | undefined> {
  return (raw) => (raw === undefined || raw === '' ? undefined : parse(raw));
}

const parsers = {
  text: (raw: string) => raw,
  int:
    (min: number, max: number) =>
    (raw: string): number => {
      const n = Number(raw);
      if (!/^-?\d+$/.test(raw.trim()) || n < min || n > max)
        throw `must be a whole number from ${min} to ${max}, got "${raw}"`;
      return n;
    },
  url:
    (...protocols: string[]) =>
    (raw: string): string => {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        throw `must be a URL, got "${redactUrl(raw)}"`;
      }
      if (!protocols.includes(url.protocol))
        throw `must be a ${protocols.join(' or ')} URL, got "${redactUrl(raw)}"`;
      return raw.replace(/\/+$/, '');
    },
  hostPorts: (raw: string): string[] => {
    const list = raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = list.filter((hp) => !/^[^\s:]+:\d{1,5}$/.test(hp));
    if (list.length === 0 || bad.length > 0)
      throw `must be a comma-separated list of host:port, got "${raw}"`;
    return list;
  },
  oneOf:
    <T extends string>(...allowed: T[]) =>
    (raw: string): T => {
      if (!(allowed as string[]).includes(raw)) throw `must be one of ${allowed.join(', ')}, got "${raw}"`;
      return raw as T;
    },
  matching:
    (pattern: RegExp, what: string) =>
    (raw: string): string => {
      if (!pattern.test(raw)) throw `must be ${what}, got "${raw.slice(0, 80)}"`;
      return raw;
    },
  ratio: (raw: string): number => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1)
      throw `must be a number from 0 to 1, got "${raw}"`;
    return n;
  },
  bool: (raw: string): boolean => {
    if (['true', '1', 'yes'].includes(raw.toLowerCase())) return true;
    if (['false', '0', 'no'].includes(raw.toLowerCase())) return false;
    throw `must be true or false, got "${raw}"`;
  },
};

export const env = {
  text: (fallback?: string) => required(parsers.text, fallback),
  optionalText: () => optional(parsers.text),
  int: (min: number, max: number, fallback?: number) => required(parsers.int(min, max), fallback),
  optionalInt: (min: number, max: number) => optional(parsers.int(min, max)),
  // 0 asks the OS for a free port (tests run many services side by side).
  port: (fallback?: number) => required(parsers.int(0, 65535), fallback),
  optionalPort: () => optional(parsers.int(0, 65535)),
  url: (protocols: string[], fallback?: string) => required(parsers.url(...protocols), fallback),
  optionalUrl: (protocols: string[]) => optional(parsers.url(...protocols)),
  hostPorts: (fallback?: string) => required(parsers.hostPorts, fallback?.split(',')),
  oneOf: <T extends string>(allowed: T[], fallback?: T) => required(parsers.oneOf(...allowed), fallback),
  optionalOneOf: <T extends string>(allowed: T[]) => optional(parsers.oneOf(...allowed)),
  bool: (fallback = false) => required(parsers.bool, fallback),
  ratio: (fallback?: number) => required(parsers.ratio, fallback),
  matching: (pattern: RegExp, what: string, fallback?: string) =>
    required(parsers.matching(pattern, what), fallback),
};

export type Spec = Record<string, Field<unknown>>;
export type Parsed<S extends Spec> = { [K in keyof S]: ReturnType<S[K]> };

/**
 * Reads every variable of `spec` from `source`. `NAME_FILE` may point at a file holding
 * the value (for secrets mounted as files). Throws one ConfigError listing all problems.
 */
export function readEnv<S extends Spec>(spec: S, source: Env): Parsed<S> {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, parse] of Object.entries(spec)) {
    try {
      out[name] = parse(rawValue(name, source));
    } catch (problem) {
      problems.push(`${name} ${typeof problem === 'string' ? problem : (problem as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out as Parsed<S>;
}

function rawValue(name: string, source: Env): string | undefined {
  const file = source[`${name}_FILE`];
  if (file === undefined || file === '') return source[name];
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (e) {
    throw `cannot be read from ${name}_FILE=${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`;
  }
}

/** A URL with its password masked, for messages and logs. */
export function redactUrl(raw: string): string {
  return raw.replace(/\/\/([^:/@]+):([^@/]+)@/, '//$1:***@');
}

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
    shutdownTimeoutMs: raw.SHUTDOWN_TIMEOUT_MS,
    inbox: { retentionHours: raw.INBOX_RETENTION_HOURS, pruneIntervalMs: raw.INBOX_PRUNE_INTERVAL_MS },
    own,
  };
}

function withoutUndefined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
