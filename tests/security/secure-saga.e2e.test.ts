// The saga with a deployment's security settings: Kafka only over TLS with SASL/SCRAM-SHA-256 (a
// broker of this test's own, its certificate from a CA made here), the registry behind HTTP basic auth, PostgreSQL as a role with its own
// password — secrets given as files (NAME_FILE) and variables — and then every log line of every
// service, from start to SIGTERM, searched for each secret.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import {
  SERVICE_NAMES,
  ensureTopics,
  groupOf,
  platformTopics,
  schemaName,
  type ServiceName,
} from '@orderflow/shared';
import { ServiceProcess } from '../support/service-process';
import { makeCertificates, type TestCertificates } from '../support/certs';
import { freePort, startOwnStack, type OwnStack } from '../support/own-stack';
import { bearer, issuer, stackEnv } from '../support/platform';
import { waitFor } from '../support/wait';

const id = randomBytes(4).toString('hex');
const prefix = `sec${id}-`;
const secrets = {
  kafka: `kafka-pw-${randomBytes(9).toString('hex')}`,
  registry: `registry-pw-${randomBytes(9).toString('hex')}`,
  database: `db-pw-${randomBytes(9).toString('hex')}`,
};
const registryUser = 'orderflow-svc';
const role = `of_sec_${id}`;
const dir = mkdtempSync(join(tmpdir(), 'orderflow-secrets-'));
const logDir = mkdtempSync(join(tmpdir(), 'orderflow-secure-logs-'));

let stack: OwnStack;
let certs: TestCertificates;
let registryProxy: Server;
let registryUrl: string;
let admin: Pool;
const services: ServiceProcess[] = [];
let unauthorized = 0;
let authEnv: Record<string, string>;
let customer: Record<string, string>; // the bearer token of c-sec, who places every order here

/** Basic auth in front of the real registry: a request without the right credentials gets 401. */
async function startAuthenticatingRegistry(upstream: string): Promise<Server> {
  const expected = `Basic ${Buffer.from(`${registryUser}:${secrets.registry}`).toString('base64')}`;
  const server = createServer((req, res) => {
    if (req.headers.authorization !== expected) {
      unauthorized++;
      res.writeHead(401, {
        'www-authenticate': 'Basic realm="registry"',
        'content-type': 'application/json',
      });
      res.end('{"error_code":401,"message":"Unauthorized"}');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const url = `${upstream}${req.url!.replace(/^\/apis\/ccompat\/v7/, '')}`;
      const body = chunks.length ? Buffer.concat(chunks) : undefined;
      try {
        const answer = await fetch(url, {
          method: req.method,
          headers: { 'content-type': req.headers['content-type'] ?? 'application/json' },
          body,
        });
        res.writeHead(answer.status, {
          'content-type': answer.headers.get('content-type') ?? 'application/json',
        });
        res.end(Buffer.from(await answer.arrayBuffer()));
      } catch {
        res.writeHead(502).end();
      }
    });
  });
  server.listen(await freePort(), '127.0.0.1');
  await once(server, 'listening');
  return server;
}

beforeAll(async () => {
  authEnv = (await issuer()).serviceEnv();
  customer = await bearer('c-sec');
  certs = makeCertificates(dir);
  stack = await startOwnStack({
    components: ['kafka'],
    sasl: { username: 'orderflow-svc', password: secrets.kafka },
    tls: certs,
  });
  registryProxy = await startAuthenticatingRegistry(stackEnv.SCHEMA_REGISTRY_URL);
  const { port } = registryProxy.address() as { port: number };
  registryUrl = `http://127.0.0.1:${port}/apis/ccompat/v7`;
  admin = new Pool({ connectionString: stackEnv.DATABASE_URL, max: 2 });
  const database = new URL(stackEnv.DATABASE_URL).pathname.slice(1);
  await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${secrets.database}'`);
  await admin.query(`GRANT CREATE ON DATABASE ${database} TO ${role}`);
  const kafka = new Kafka({
    brokers: [stack.env.KAFKA_BROKERS],
    sasl: { mechanism: 'scram-sha-256', username: 'orderflow-svc', password: secrets.kafka },
    ssl: { ca: readFileSync(certs.ca, 'utf8') },
    logLevel: logLevel.NOTHING,
  });
  await ensureTopics(
    kafka,
    platformTopics(
      prefix,
      SERVICE_NAMES.map((s) => groupOf(s, prefix)),
    ),
  );
});

afterAll(async () => {
  for (const s of services) await s.stop().catch(() => undefined);
  for (const s of SERVICE_NAMES)
    await admin?.query(`DROP SCHEMA IF EXISTS ${schemaName(s, prefix)} CASCADE`).catch(() => undefined);
  await admin
    ?.query(`REVOKE ALL ON DATABASE ${new URL(stackEnv.DATABASE_URL).pathname.slice(1)} FROM ${role}`)
    .catch(() => undefined);
  await admin?.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
  await admin?.end();
  registryProxy?.close();
  await stack?.destroy();
  rmSync(dir, { recursive: true, force: true });
  rmSync(logDir, { recursive: true, force: true });
});

function secureEnv(overrides: Record<string, string> = {}): Record<string, string> {
  const dbUrl = new URL(stackEnv.DATABASE_URL);
  dbUrl.username = role;
  dbUrl.password = secrets.database;
  writeFileSync(join(dir, 'database-url'), dbUrl.toString());
  writeFileSync(join(dir, 'kafka-password'), `${secrets.kafka}\n`);
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    KAFKA_BROKERS: stack.env.KAFKA_BROKERS,
    KAFKA_SSL: 'true',
    KAFKA_SSL_CA_FILE: certs.ca,
    KAFKA_SASL_MECHANISM: 'scram-sha-256',
    KAFKA_SASL_USERNAME: 'orderflow-svc',
    KAFKA_SASL_PASSWORD_FILE: join(dir, 'kafka-password'),
    SCHEMA_REGISTRY_URL: registryUrl,
    SCHEMA_REGISTRY_USERNAME: registryUser,
    SCHEMA_REGISTRY_PASSWORD: secrets.registry,
    DATABASE_URL_FILE: join(dir, 'database-url'),
    TOPIC_PREFIX: prefix,
    LOG_LEVEL: 'debug',
    PAYMENT_LIMIT_CENTS: '100000',
    ...authEnv,
    ...overrides,
  };
}

async function status(ordersUrl: string, orderId: string): Promise<string | undefined> {
  const res = await fetch(`${ordersUrl}/orders/${orderId}`, { headers: customer });
  return res.ok ? ((await res.json()) as { status: string }).status : undefined;
}

test('with wrong Kafka credentials a service refuses to start, naming Kafka, and prints no secret', async () => {
  writeFileSync(join(dir, 'wrong'), 'not-the-password');
  const wrong = new ServiceProcess(
    'billing',
    await freePort(),
    secureEnv({ KAFKA_SASL_PASSWORD_FILE: join(dir, 'wrong') }),
    logDir,
    '-wrong',
  );
  services.push(wrong);
  wrong.start();
  await waitFor(() => !wrong.running, {
    timeoutMs: 60_000,
    what: 'billing with a wrong Kafka password to exit',
  });
  expect(wrong.log()).toMatch(/cannot start: kafka: .*(SASL|authentication)/i);
  expect(wrong.log()).not.toContain('not-the-password');
});

test('without the CA that signed the broker certificate a service does not connect: the certificate is verified', async () => {
  const untrusting = new ServiceProcess(
    'billing',
    await freePort(),
    secureEnv({ KAFKA_SSL_CA_FILE: '' }),
    logDir,
    '-no-ca',
  );
  services.push(untrusting);
  untrusting.start();
  // It would give up after its retries (about a minute); the refused certificate shows at once.
  await waitFor(
    () => /unable to verify the first certificate|self[- ]signed certificate/i.test(untrusting.log()),
    { timeoutMs: 30_000, what: 'the broker certificate to be refused' },
  );
  await untrusting.stop();
  expect(untrusting.log()).not.toMatch(/billing running/);
});

test('the saga runs end to end over TLS and SASL/SCRAM, registry basic auth and a database role, and no log line of any service holds a secret', async () => {
  for (const name of SERVICE_NAMES)
    services.push(new ServiceProcess(name, await freePort(), secureEnv(), logDir));
  const running = services.filter((s) => !s.tagged);
  for (const s of running) s.start();
  await Promise.all(running.map((s) => s.ready()));
  const ordersUrl = running.find((s) => s.name === 'orders')!.url;

  const orders = [
    { orderId: `sec-${id}-1`, items: [{ itemId: 'ceramic-mug', quantity: 2 }], expected: 'SHIPPED' },
    { orderId: `sec-${id}-2`, items: [{ itemId: 'espresso-machine', quantity: 1 }], expected: 'DECLINED' },
    { orderId: `sec-${id}-3`, items: [{ itemId: 'limited-print', quantity: 6 }], expected: 'REFUNDED' },
  ];
  for (const o of orders) {
    const res = await fetch(`${ordersUrl}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...customer },
      body: JSON.stringify({
        orderId: o.orderId,
        customerId: 'c-sec',
        email: 'sec@example.com',
        items: o.items,
      }),
    });
    expect(res.status).toBe(201);
  }
  for (const o of orders) {
    await waitFor(async () => (await status(ordersUrl, o.orderId)) === o.expected, {
      timeoutMs: 90_000,
      what: `${o.orderId} to reach ${o.expected}`,
    });
  }
  const notifications = running.find((s) => s.name === ('notifications' satisfies ServiceName))!;
  await waitFor(
    async () =>
      (
        (await (await fetch(`${notifications.url}/notifications`, { headers: customer })).json()) as {
          notifications: unknown[];
        }
      ).notifications.length === 5,
    {
      timeoutMs: 60_000,
      what: 'five emails',
    },
  );
  for (const s of running) expect([s.name, await s.stop()]).toEqual([s.name, 0]);

  const logs = services.map((s) => ({
    name: `${s.name}${s.tagged ? ' (refused)' : ''}`,
    text: s.log(),
  }));
  // A full run's worth of lines: from start to stop, in every service.
  for (const s of running)
    expect([s.name, s.log()]).toEqual([
      s.name,
      expect.stringMatching(new RegExp(`${s.name} running[\\s\\S]*${s.name} stopped`)),
    ]);
  const forbidden = [
    ...Object.values(secrets),
    Buffer.from(`${registryUser}:${secrets.registry}`).toString('base64'),
    customer.authorization!.replace('Bearer ', ''), // a bearer token is a secret too
  ];
  for (const { name, text } of logs) {
    for (const secret of forbidden) expect([name, text.includes(secret)]).toEqual([name, false]);
  }
  expect(unauthorized).toBe(0); // every registry call carried the credentials
});

test('the registry without credentials is refused: basic auth is really in force', async () => {
  const res = await fetch(`${registryUrl}/subjects`);
  expect(res.status).toBe(401);
  unauthorized = 0;
});
