// SIGTERM stops a real orders process (compiled, as deployed) within SHUTDOWN_TIMEOUT_MS: with
// everything up it drains and exits 0; with its PostgreSQL unreachable (the shared server stays up:
// the process reaches it through a TCP proxy of this test's, which closes) or its Kafka broker
// killed (a broker of this test's own) it names the work it abandoned and exits non-zero, still
// within the bound.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { SERVICE_NAMES, schemaName } from '@orderflow/shared';
import { FaultProxy } from '../support/fault-proxy';
import { freePort, startOwnStack, type OwnStack } from '../support/own-stack';
import { issuer, postJson, stackEnv, uniquePrefix } from '../support/platform';
import { ServiceProcess } from '../support/service-process';
import { waitFor } from '../support/wait';

const SHUTDOWN_TIMEOUT_MS = 4_000;
/** Between the process's own deadline and its exit: the last steps, process.exit, a loaded machine. */
const EXIT_SLACK_MS = 3_000;

const prefix = uniquePrefix();
const logDir = mkdtempSync(join(tmpdir(), 'orderflow-shutdown-'));
let stack: OwnStack;
let database: FaultProxy;
let orders: ServiceProcess;

beforeAll(async () => {
  // Only Kafka of our own (it is killed); the registry and PostgreSQL are the shared ones, the
  // latter behind a proxy that forwards while open.
  stack = await startOwnStack({ components: ['kafka'] });
  const shared = new URL(stackEnv.DATABASE_URL);
  database = await FaultProxy.start({ host: shared.hostname, port: Number(shared.port || 5432) });
  const proxied = new URL(stackEnv.DATABASE_URL);
  proxied.host = `127.0.0.1:${database.port}`;
  orders = new ServiceProcess(
    'orders',
    await freePort(),
    {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      KAFKA_BROKERS: stack.env.KAFKA_BROKERS,
      SCHEMA_REGISTRY_URL: stackEnv.SCHEMA_REGISTRY_URL,
      DATABASE_URL: proxied.toString(),
      TOPIC_PREFIX: prefix,
      LOG_LEVEL: 'info',
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      ...(await issuer()).serviceEnv(),
    },
    logDir,
  );
}, 300_000);

afterAll(async () => {
  await orders?.kill();
  await database?.close();
  await stack?.destroy();
  const pool = new Pool({ connectionString: stackEnv.DATABASE_URL, max: 1 });
  for (const service of SERVICE_NAMES)
    await pool.query(`DROP SCHEMA IF EXISTS ${schemaName(service, prefix)} CASCADE`);
  await pool.end();
  rmSync(logDir, { recursive: true, force: true });
}, 120_000);

async function placeOrder(): Promise<number> {
  const { status } = await postJson(`${orders.url}/orders`, {
    orderId: randomUUID(),
    customerId: 'c-shutdown',
    email: 'shutdown@example.com',
    items: [{ itemId: 'ceramic-mug', quantity: 1 }],
  });
  return status;
}

async function sigterm(): Promise<{ code: number | null; tookMs: number; log: string }> {
  const sent = Date.now();
  const code = await orders.stop(SHUTDOWN_TIMEOUT_MS + 30_000);
  return { code, tookMs: Date.now() - sent, log: orders.log() };
}

test('with everything up, SIGTERM drains and exits 0', async () => {
  orders.start();
  await orders.ready();
  expect(await placeOrder()).toBe(201);

  const { code, tookMs, log } = await sigterm();

  expect(log).not.toMatch(/shutdown abandoned work/);
  expect(log).toMatch(/"drained":true,"abandoned":\[\],"msg":"orders stopped"/);
  expect(code).toBe(0);
  expect(tookMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS + EXIT_SLACK_MS);
});

test('with PostgreSQL unreachable, SIGTERM exits non-zero within SHUTDOWN_TIMEOUT_MS and logs what it abandoned', async () => {
  orders.start();
  await orders.ready();
  try {
    await database.refuse(); // every connection reset, new ones refused
    expect(await placeOrder()).toBe(503);
    // The relay looks at the outbox every second: once a look has failed, its work is failing.
    await waitFor(() => /outbox relay could not publish/.test(orders.log()), {
      timeoutMs: 15_000,
      what: 'the outbox relay to fail on the unreachable database',
    });

    const { code, tookMs, log } = await sigterm();

    expect(log).toMatch(/shutdown abandoned work .*outbox relay \(failed: .*ECONNREFUSED/);
    expect(code).not.toBe(0);
    expect(code).not.toBeNull(); // it exited by itself, not by the SIGKILL after the deadline
    expect(tookMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS + EXIT_SLACK_MS);
  } finally {
    await database.open(); // for the tests after this one
  }
});

test('with its Kafka broker killed, SIGTERM exits non-zero within SHUTDOWN_TIMEOUT_MS and logs what it abandoned', async () => {
  orders.start();
  await orders.ready();
  await stack.stop('kafka', 'SIGKILL');
  // Accepted into the outbox, which cannot be relayed now: work the stop has to abandon.
  expect(await placeOrder()).toBe(201);

  const { code, tookMs, log } = await sigterm();

  expect(log).toMatch(/shutdown abandoned work .*outbox relay/);
  expect(code).not.toBe(0);
  expect(code).not.toBeNull(); // it exited by itself, not by the SIGKILL after the deadline
  expect(tookMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS + EXIT_SLACK_MS);
});
