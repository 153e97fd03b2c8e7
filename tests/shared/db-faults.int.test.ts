// PostgreSQL connections dying under the services: between the real server and the pool sits a
// TCP fault injector that cuts and refuses connections.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { createDb, createLogger, isTransient, type Db } from '@orderflow/shared';
import { FaultProxy } from '../support/fault-proxy';
import { stackEnv } from '../support/platform';

let proxy: FaultProxy;
let db: Db;
const schema = `t${randomBytes(4).toString('hex')}_dbfaults`;
const warnings: string[] = [];

beforeAll(async () => {
  const target = new URL(stackEnv.DATABASE_URL);
  proxy = await FaultProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
  target.port = String(proxy.port);
  const logger = createLogger({
    service: 'test',
    destination: new Writable({
      write(chunk, _enc, done) {
        warnings.push(String(chunk));
        done();
      },
    }),
  });
  db = await createDb({ url: target.toString(), schema, logger, max: 2 });
  await db.query(`CREATE SCHEMA ${schema}`);
  await db.query('CREATE TABLE t (id int PRIMARY KEY)');
});

afterAll(async () => {
  await proxy.open();
  await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
  await db.close();
  await proxy.close();
});

test('a connection cut while a transaction holds it fails that transaction as transient, commits nothing, and the process lives on', async () => {
  let resume!: () => void;
  const paused = new Promise<void>((resolve) => (resume = resolve));
  let inside!: () => void;
  const entered = new Promise<void>((resolve) => (inside = resolve));
  const tx = db.tx(async (t) => {
    await t.query('INSERT INTO t (id) VALUES (1)');
    inside();
    await paused; // like the outbox relay waiting for Kafka with its transaction open
    await t.query('INSERT INTO t (id) VALUES (2)');
  });
  await entered;
  proxy.cutAll();
  resume();
  const error = await tx.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeDefined();
  expect(isTransient(error)).toBe(true);
  expect(warnings.join('')).toContain('database connection lost in a transaction');
  expect(await db.query('SELECT id FROM t')).toMatchObject({ rows: [] });
});

test('while connections are refused, a transaction fails as transient; once they are accepted again, the next one commits', async () => {
  await proxy.refuse();
  const error = await db
    .tx((t) => t.query('INSERT INTO t (id) VALUES (3)'))
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(isTransient(error)).toBe(true);
  await proxy.open();
  await db.tx((t) => t.query('INSERT INTO t (id) VALUES (4)'));
  expect((await db.query('SELECT id FROM t ORDER BY id')).rows).toEqual([{ id: 4 }]);
});
