// Where the local stack lives and what it listens on: the only module here that reads
// process.env. Defaults come from services/shared/src/defaults.ts, so a service started
// with nothing set finds this stack.
import { join, resolve } from 'node:path';
import { DEFAULTS, DEFAULT_PORTS, STACK_VERSIONS } from '../../services/shared/src/defaults';
import { StackError } from './process';

export const ROOT = resolve(__dirname, '..', '..');

export interface KafkaSettings {
  version: string;
  port: number;
  controllerPort: number;
  /** KAFKA_CONTROLLER_PORT when set: a cluster's first controller port (else KAFKA_PORT + brokers). */
  clusterControllerPort?: number;
  /** `.stack/kafka-<version>`: libs/ holds the jars Maven fetched. */
  home: string;
  dataDir: string;
  logFile: string;
  /** Generated at every start from the settings. */
  serverProperties: string;
  log4jProperties: string;
  brokers: string;
  /** ORDERFLOW_KAFKA_SASL=scram: the client listener takes only SASL/SCRAM-SHA-256 logins of this user. */
  sasl?: { mechanism: 'scram-sha-256'; username: string; password: string };
  /** ORDERFLOW_KAFKA_ACLS=true (needs SASL): the broker authorizes every request by its ACLs and
   * denies what none allows; the SASL user above is the admin (a super user), and every service
   * has a SCRAM user of its own (principals.ts). */
  acls?: boolean;
  /** ORDERFLOW_KAFKA_TLS_KEYSTORE (PEM: unencrypted PKCS#8 key, then the certificate chain) and
   * ORDERFLOW_KAFKA_TLS_CA (PEM): the client listener speaks TLS (SASL_SSL with SASL). */
  tls?: { keystore: string; ca: string };
}

export interface RegistrySettings {
  version: string;
  port: number;
  /** `.stack/apicurio-registry-<version>`: the unpacked quarkus-app. */
  home: string;
  logFile: string;
  /** The Confluent-compatible API, as services see it (SCHEMA_REGISTRY_URL). */
  url: string;
  database: string;
}

export interface PostgresSettings {
  /** DATABASE_URL: the platform's database. */
  url: string;
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** Used only when nothing answers at DATABASE_URL and we start an embedded server. */
  dataDir: string;
  logFile: string;
}

export interface Settings {
  stackDir: string;
  stateFile: string;
  logsDir: string;
  kafka: KafkaSettings;
  registry: RegistrySettings;
  postgres: PostgresSettings;
}

export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const problems: string[] = [];
  const port = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1 || value > 65_535) {
      problems.push(`${name}=${raw} is not a port`);
      return fallback;
    }
    return value;
  };
  const version = (name: string, fallback: string): string => {
    const raw = env[name] ?? fallback;
    if (!/^[0-9A-Za-z.\-_]+$/.test(raw)) problems.push(`${name}=${raw} is not a version`);
    return raw;
  };

  const stackDir = resolve(env.ORDERFLOW_STACK_DIR ?? join(ROOT, '.stack'));
  const logsDir = join(stackDir, 'logs');
  const dataDir = join(stackDir, 'data');

  const kafkaVersion = version('ORDERFLOW_KAFKA_VERSION', STACK_VERSIONS.kafka);
  const kafkaPort = port('KAFKA_PORT', DEFAULT_PORTS.kafka);
  const kafka: KafkaSettings = {
    version: kafkaVersion,
    port: kafkaPort,
    controllerPort: port('KAFKA_CONTROLLER_PORT', DEFAULT_PORTS.kafkaController),
    clusterControllerPort: env.KAFKA_CONTROLLER_PORT ? port('KAFKA_CONTROLLER_PORT', 0) : undefined,
    home: join(stackDir, `kafka-${kafkaVersion}`),
    dataDir: join(dataDir, 'kafka'),
    logFile: join(logsDir, 'kafka.log'),
    serverProperties: join(stackDir, 'conf', 'kafka-server.properties'),
    log4jProperties: join(stackDir, 'conf', 'kafka-log4j.properties'),
    brokers: `127.0.0.1:${kafkaPort}`,
  };
  const sasl = env.ORDERFLOW_KAFKA_SASL ?? '';
  if (sasl === 'scram') {
    kafka.sasl = {
      mechanism: 'scram-sha-256',
      username: env.ORDERFLOW_KAFKA_SASL_USERNAME || 'orderflow',
      password: env.ORDERFLOW_KAFKA_SASL_PASSWORD || 'orderflow-dev-secret',
    };
    if (!/^[A-Za-z0-9._-]+$/.test(kafka.sasl.username) || /["\\[\],=\s]/.test(kafka.sasl.password)) {
      problems.push(
        'ORDERFLOW_KAFKA_SASL_USERNAME must be [A-Za-z0-9._-]+ and ORDERFLOW_KAFKA_SASL_PASSWORD must not hold quotes, brackets, commas, = or spaces',
      );
    }
  } else if (sasl !== '') {
    problems.push(`ORDERFLOW_KAFKA_SASL=${sasl} is not "scram" (or empty for none)`);
  }
  const acls = env.ORDERFLOW_KAFKA_ACLS ?? '';
  if (acls === 'true') {
    if (kafka.sasl) kafka.acls = true;
    else problems.push('ORDERFLOW_KAFKA_ACLS=true needs ORDERFLOW_KAFKA_SASL=scram (ACLs name SASL users)');
  } else if (acls !== '' && acls !== 'false') {
    problems.push(`ORDERFLOW_KAFKA_ACLS=${acls} is not true or false`);
  }
  if (env.ORDERFLOW_KAFKA_TLS_KEYSTORE || env.ORDERFLOW_KAFKA_TLS_CA) {
    if (!env.ORDERFLOW_KAFKA_TLS_KEYSTORE || !env.ORDERFLOW_KAFKA_TLS_CA) {
      problems.push('ORDERFLOW_KAFKA_TLS_KEYSTORE and ORDERFLOW_KAFKA_TLS_CA must be set together');
    } else {
      kafka.tls = {
        keystore: resolve(env.ORDERFLOW_KAFKA_TLS_KEYSTORE),
        ca: resolve(env.ORDERFLOW_KAFKA_TLS_CA),
      };
    }
  }
  if (kafka.port === kafka.controllerPort) problems.push('KAFKA_PORT and KAFKA_CONTROLLER_PORT must differ');

  const registryVersion = version('ORDERFLOW_APICURIO_VERSION', STACK_VERSIONS.apicurioRegistry);
  const registryPort = port('REGISTRY_PORT', DEFAULT_PORTS.registry);
  const registry: RegistrySettings = {
    version: registryVersion,
    port: registryPort,
    home: join(stackDir, `apicurio-registry-${registryVersion}`),
    logFile: join(logsDir, 'registry.log'),
    url: `http://127.0.0.1:${registryPort}/apis/ccompat/v7`,
    database: env.REGISTRY_DATABASE || 'apicurio',
  };
  if (!/^[a-z_][a-z0-9_]*$/.test(registry.database))
    problems.push(`REGISTRY_DATABASE=${registry.database} is not a plain name`);

  const url = env.DATABASE_URL || DEFAULTS.DATABASE_URL;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
    if (!/^postgres(ql)?:$/.test(parsed.protocol)) throw new Error('not postgres');
  } catch {
    problems.push(`DATABASE_URL=${url} is not a postgres:// URL`);
  }
  const postgres: PostgresSettings = {
    url,
    host: parsed?.hostname || '127.0.0.1',
    port: parsed?.port ? Number(parsed.port) : DEFAULT_PORTS.postgres,
    user: decodeURIComponent(parsed?.username || 'postgres'),
    password: decodeURIComponent(parsed?.password ?? ''),
    database: decodeURIComponent(parsed?.pathname.slice(1) || 'orderflow'),
    dataDir: join(dataDir, 'postgres'),
    logFile: join(logsDir, 'postgres.log'),
  };

  if (problems.length) throw new StackError(`bad stack settings: ${problems.join('; ')}`);
  return { stackDir, stateFile: join(stackDir, 'pids.json'), logsDir, kafka, registry, postgres };
}

/** DATABASE_URL with its password hidden, for printing. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}
