// docker-compose.yml cannot be started on every machine, so it is checked by reading it:
// against the services' own config readers, the shared defaults and package.json.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import {
  DEFAULT_PORTS,
  SERVICES,
  SERVICE_NAMES,
  STACK_VERSIONS,
  loadService,
  mapServices,
  serviceCommand,
  type Env,
  type ServiceModule,
  type ServiceName,
} from '@orderflow/shared';
import { readTopicsConfig } from '../../scripts/topics';
import { copiedIntoImage } from './dockerfile';

const ROOT = resolve(__dirname, '..', '..');
/** The directories the final stage of the Dockerfile copies into /app. */
const IMAGE_DIRS = copiedIntoImage();

interface ComposeService {
  image?: string;
  pull_policy?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] | string };
  volumes?: string[];
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

// Compose resolves YAML merge keys (`<<: *service`), so the test does too.
const compose = parse(readFileSync(resolve(ROOT, 'docker-compose.yml'), 'utf8'), {
  merge: true,
}) as ComposeFile;

// Every service's config reader, loaded by its name in the services table.
let READERS: Record<ServiceName, ServiceModule['readConfig']>;
beforeAll(async () => {
  const modules = await Promise.all(SERVICE_NAMES.map(loadService));
  READERS = mapServices((name) => modules[SERVICE_NAMES.indexOf(name)]!.readConfig);
});

function service(name: string): ComposeService {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
}

function envOf(name: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service(name).environment ?? {}).map(([key, value]) => [
      key,
      value === null ? '' : String(value),
    ]),
  );
}

/** Calls a config reader and returns every variable name it looked at. */
function namesRead(read: (env: Env) => unknown, env: Record<string, string>): Set<string> {
  const seen = new Set<string>();
  const spy = new Proxy(env, {
    get(target, key) {
      if (typeof key === 'string') seen.add(key);
      return Reflect.get(target, key);
    },
  });
  read(spy);
  return seen;
}

/** `HOST:CONTAINER` or `IP:HOST:CONTAINER` → the two ports. */
function publishedPorts(name: string): { host: number; container: number }[] {
  return (service(name).ports ?? []).map((spec) => {
    const parts = String(spec).split(':');
    if (parts.length < 2) throw new Error(`${name}: port "${spec}" publishes no fixed host port`);
    return { host: Number(parts[parts.length - 2]), container: Number(parts[parts.length - 1]) };
  });
}

function commandOf(name: string): string[] {
  const command = service(name).command;
  return Array.isArray(command) ? command : (command ?? '').split(/\s+/).filter(Boolean);
}

function healthcheckOf(name: string): string[] {
  const test = service(name).healthcheck?.test;
  return Array.isArray(test) ? test : test ? ['CMD-SHELL', test] : [];
}

const COMPOSE_NAMES: Record<string, keyof typeof DEFAULT_PORTS> = {
  kafka: 'kafka',
  'schema-registry': 'registry',
  postgres: 'postgres',
  ...Object.fromEntries(SERVICE_NAMES.map((name) => [name, name])),
};

/** Ports a service listens on inside the network: its published container ports, or Kafka's advertised listeners. */
function containerPortsOf(name: string): number[] {
  if (name === 'kafka') {
    return envOf('kafka')
      .KAFKA_ADVERTISED_LISTENERS!.split(',')
      .map((listener) => new URL(listener.replace(/^\w+:\/\//, 'tcp://')))
      .filter((url) => url.hostname === 'kafka')
      .map((url) => Number(url.port));
  }
  return publishedPorts(name).map((p) => p.container);
}

describe('docker-compose.yml', () => {
  it('pins every image to an explicit tag that is not latest', () => {
    const unpinned = Object.entries(compose.services)
      .filter(([, s]) => !s.build)
      .filter(([, s]) => {
        const image = s.image ?? '';
        const tag = image.slice(image.lastIndexOf('/') + 1).split(':')[1];
        return !tag || tag === 'latest';
      })
      .map(([name, s]) => `${name}: ${s.image ?? '(no image)'}`);
    expect(unpinned).toEqual([]);
  });

  it('runs the Kafka version the local stack runs', () => {
    expect(service('kafka').image).toBe(`apache/kafka:${STACK_VERSIONS.kafka}`);
  });

  it('publishes Kafka, the registry, PostgreSQL and each service on its default port', () => {
    const published = Object.fromEntries(
      Object.entries(COMPOSE_NAMES).map(([name, key]) => [key, publishedPorts(name).map((p) => p.host)]),
    );
    const expected = Object.fromEntries(
      Object.values(COMPOSE_NAMES).map((key) => [key, [DEFAULT_PORTS[key]]]),
    );
    expect(published).toEqual(expected);
  });

  it('publishes each service on the port it listens on inside its container', () => {
    for (const name of SERVICE_NAMES) {
      expect({ name, ports: publishedPorts(name) }).toEqual({
        name,
        ports: [{ host: SERVICES[name].port, container: Number(envOf(name).PORT) }],
      });
    }
  });

  it('never publishes two containers on the same host port', () => {
    const hostPorts = Object.keys(compose.services).flatMap((name) =>
      publishedPorts(name).map((p) => p.host),
    );
    const duplicates = hostPorts.filter((port, i) => hostPorts.indexOf(port) !== i);
    expect(duplicates).toEqual([]);
  });

  it.each(SERVICE_NAMES)('gives %s only variables its readConfig reads, with values it accepts', (name) => {
    const env = envOf(name);
    const read = namesRead(READERS[name], env);
    expect(Object.keys(env).filter((key) => !read.has(key))).toEqual([]);
  });

  it('configures each service for the containers it runs among', () => {
    const expected = {
      kafka: { brokers: ['kafka:29092'], ssl: false },
      registry: { url: 'http://schema-registry:8081' },
      database: { url: 'postgres://postgres:postgres@postgres:5432/orderflow', ssl: false },
      prefix: '',
      logLevel: 'info',
    };
    for (const name of SERVICE_NAMES) {
      const config = READERS[name](envOf(name));
      expect({ name, ...config }).toMatchObject({
        name,
        ...expected,
        http: { host: '0.0.0.0', port: SERVICES[name].port },
      });
    }
    expect(READERS.billing(envOf('billing')).own.PAYMENT_LIMIT_CENTS).toBe(100_000);
    // Auth on, trusting the issuer container: the issuer its tokens name, the key set it serves.
    const issuer = envOf('issuer').ORDERFLOW_ISSUER_URL;
    for (const name of SERVICE_NAMES)
      expect([name, (READERS[name](envOf(name)) as { auth: unknown }).auth]).toEqual([
        name,
        expect.objectContaining({ mode: 'jwt', issuer, jwksUrl: `${issuer}/.well-known/jwks.json` }),
      ]);
    expect(READERS.notifications(envOf('notifications')).own.SMTP_URL).toBe('smtp://mailpit:1025');
  });

  it('points every container address at a compose service and a port that service listens on', () => {
    const addresses: { from: string; variable: string; host: string; port: number }[] = [];
    for (const name of Object.keys(compose.services)) {
      const env = envOf(name);
      for (const variable of [
        'KAFKA_BROKERS',
        'KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS',
        'SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS',
      ]) {
        for (const hostPort of env[variable]?.split(',') ?? []) {
          const [host = '', port = ''] = hostPort.replace(/^\w+:\/\//, '').split(':');
          addresses.push({ from: name, variable, host, port: Number(port) });
        }
      }
      for (const variable of [
        'SCHEMA_REGISTRY_URL',
        'KAFKA_CLUSTERS_0_SCHEMAREGISTRY',
        'DATABASE_URL',
        'SMTP_URL',
        'AUTH_JWKS_URL',
        'OTEL_EXPORTER_OTLP_ENDPOINT',
      ]) {
        if (!env[variable]) continue;
        const url = new URL(env[variable]);
        addresses.push({ from: name, variable, host: url.hostname, port: Number(url.port) });
      }
    }
    expect(addresses.length).toBeGreaterThanOrEqual(SERVICE_NAMES.length * 3);
    const unreachable = addresses.filter(
      ({ host, port }) => !compose.services[host] || !containerPortsOf(host).includes(port),
    );
    expect(unreachable).toEqual([]);
  });

  it("sends every service's spans to Jaeger over OTLP/HTTP, each under its own service name", () => {
    for (const name of SERVICE_NAMES) {
      const { tracing } = READERS[name](envOf(name));
      expect({ name, ...tracing }).toMatchObject({
        name,
        exporter: 'otlp',
        endpoint: 'http://jaeger:4318/v1/traces',
        serviceName: name,
      });
    }
    expect(publishedPorts('jaeger').map((p) => p.container)).toEqual([16686, 4318]);
  });

  it("reaches Confluent's registry at its root, not at Apicurio's compatibility path", () => {
    const urls = Object.keys(compose.services)
      .map((name) => envOf(name).SCHEMA_REGISTRY_URL)
      .filter((url): url is string => url !== undefined);
    expect(urls.length).toBe(SERVICE_NAMES.length + 1);
    expect(urls.filter((url) => new URL(url).pathname !== '/')).toEqual([]);
  });

  it('runs Kafka as one KRaft node with replication factor 1 and no automatic topic creation', () => {
    const env = envOf('kafka');
    expect(env).toMatchObject({
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_CONTROLLER_QUORUM_VOTERS: `${env.KAFKA_NODE_ID}@kafka:9093`,
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
    });
    const listeners = env.KAFKA_LISTENERS!.split(',');
    expect(listeners).toEqual(
      expect.arrayContaining(['PLAINTEXT://:29092', 'CONTROLLER://:9093', 'EXTERNAL://:9092']),
    );
    expect(env.KAFKA_ADVERTISED_LISTENERS!.split(',').sort()).toEqual([
      'EXTERNAL://localhost:9092',
      'PLAINTEXT://kafka:29092',
    ]);
    const protocols = env.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP!.split(',').map((pair) => pair.split(':')[0]);
    expect(protocols.sort()).toEqual(listeners.map((l) => l.split(':')[0]).sort());
    expect(healthcheckOf('kafka').join(' ')).toContain('/opt/kafka/bin/kafka-broker-api-versions.sh');
  });

  it.each(SERVICE_NAMES)(
    'starts %s only after the topics and schemas jobs completed and PostgreSQL is healthy',
    (name) => {
      expect(service(name).depends_on).toMatchObject({
        topics: { condition: 'service_completed_successfully' },
        schemas: { condition: 'service_completed_successfully' },
        postgres: { condition: 'service_healthy' },
      });
    },
  );

  const APP_IMAGE = 'orderflow-app:local';
  const appContainers = () =>
    Object.keys(compose.services).filter((name) => compose.services[name]!.image === APP_IMAGE);

  it('builds the one app image once and runs it in every app container, each service from its compiled main.js', () => {
    expect(appContainers().sort()).toEqual([...SERVICE_NAMES, 'issuer', 'schemas', 'topics'].sort());
    const built = Object.entries(compose.services).filter(([, s]) => s.build);
    expect(built.map(([name]) => name)).toEqual(['topics']);
    expect(built[0]![1].build).toEqual({ context: '.', dockerfile: 'Dockerfile' });
    for (const name of appContainers().filter((n) => n !== 'topics')) {
      expect([name, compose.services[name]!.pull_policy]).toEqual([name, 'never']);
    }
    for (const name of SERVICE_NAMES) {
      expect(commandOf(name)).toEqual(['node', ...serviceCommand(name)]);
      expect(commandOf(name).some((arg) => arg === 'tsx' || arg.endsWith('.ts'))).toBe(false);
    }
  });

  it('runs the jobs compiled too, and only files the build makes and the image holds', () => {
    expect(commandOf('topics')).toEqual(['node', 'dist/scripts/topics.js']);
    expect(commandOf('schemas')).toEqual(['node', 'dist/scripts/schemas.js', 'register']);
    const missing: string[] = [];
    for (const name of appContainers()) {
      for (const arg of commandOf(name).filter((a) => a.endsWith('.js'))) {
        if (!existsSync(resolve(ROOT, arg))) missing.push(`${name}: ${arg} (not built)`);
        if (!IMAGE_DIRS.some((dir) => arg.startsWith(`${dir}/`)))
          missing.push(`${name}: ${arg} (not in the image)`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('gives the topics job only variables topics:create reads, pointing at the in-network listener', () => {
    const env = envOf('topics');
    const read = namesRead(readTopicsConfig, env);
    expect(Object.keys(env).filter((key) => !read.has(key))).toEqual([]);
    expect(readTopicsConfig(env).kafka.brokers).toEqual(['kafka:29092']);
  });

  it('has a healthcheck wherever a dependency waits for service_healthy', () => {
    const problems: string[] = [];
    for (const [name, s] of Object.entries(compose.services)) {
      for (const [dependency, { condition }] of Object.entries(s.depends_on ?? {})) {
        if (!compose.services[dependency]) problems.push(`${name} depends on unknown ${dependency}`);
        else if (condition === 'service_healthy' && !compose.services[dependency]!.healthcheck) {
          problems.push(`${name} waits for ${dependency} to be healthy, which has no healthcheck`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('mounts only files and volumes that exist', () => {
    const problems: string[] = [];
    for (const [name, s] of Object.entries(compose.services)) {
      for (const volume of s.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (
          source.startsWith('.') ? !existsSync(resolve(ROOT, source)) : !(source in (compose.volumes ?? {}))
        ) {
          problems.push(`${name}: ${volume}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

describe("the services' healthcheck", () => {
  let server: Server;
  let status = 200;
  let path = '';

  beforeAll(async () => {
    server = createServer((req, res) => {
      path = req.url ?? '';
      res.statusCode = path === '/health/ready' ? status : 404;
      res.end();
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  function runHealthcheck(name: string): Promise<number> {
    const [kind, ...argv] = healthcheckOf(name);
    expect(kind).toBe('CMD');
    expect(argv[0]).toBe('node');
    const port = String((server.address() as AddressInfo).port);
    return new Promise((done) => {
      execFile(process.execPath, argv.slice(1), { env: { ...envOf(name), PORT: port } }, (error) =>
        done(error ? Number(error.code ?? 1) : 0),
      );
    });
  }

  it.each(SERVICE_NAMES)('of %s passes when its /health/ready answers 200', async (name) => {
    status = 200;
    path = '';
    await expect(runHealthcheck(name)).resolves.toBe(0);
    expect(path).toBe('/health/ready');
  });

  it.each(SERVICE_NAMES)('of %s fails when its /health/ready answers 503', async (name) => {
    status = 503;
    await expect(runHealthcheck(name)).resolves.not.toBe(0);
  });
});
