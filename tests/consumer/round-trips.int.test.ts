// Database round trips per chunk, counted on the real PostgreSQL: the inbox claim travels with
// BEGIN and the outbox rows with COMMIT, so a chunk costs its handlers' statements plus two,
// and the guarantees hold: inbox and effects in one transaction, duplicates skipped, a row the
// commit refuses rolls the chunk back, and the one bad message goes to the DLQ alone. The
// relay's read of the outbox table costs two as well: BEGIN travels with the statement that
// takes the rows, then COMMIT.
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import {
  OutboxRelay,
  TRACING_OFF,
  createDb,
  createLogger,
  createMetrics,
  REPO_ROOT,
  type Db,
  type Tx,
} from '@orderflow/shared';
import {
  appendToOutbox,
  eventMessage,
  publishingTransactions,
  type OutboxRow,
} from '../../services/shared/src/outbox';
import { postgresInbox } from '../../services/shared/src/consumer/inbox';
import type { BatchHandler, Handlers } from '@orderflow/shared/consumer';
import { arrayLiteral, integerArrayLiteral } from '../../services/shared/src/sql-literals';
import { stackEnv } from '../support/platform';
import { recordStatements, type StatementRecorder } from '../support/statements';
import { waitFor } from '../support/wait';
import { FakeDatabase, fakeBatch, fakeCodec, orderCreated, runnerOver } from './fakes';

const schema = `t${randomBytes(4).toString('hex')}_roundtrips`;
let db: Db;
let statements: StatementRecorder;

beforeAll(async () => {
  statements = recordStatements();
  db = await createDb({ url: stackEnv.DATABASE_URL, schema, logger: silent(), max: 2 });
  await db.migrate([join(REPO_ROOT, 'services/shared/src/migrations')]);
  await db.query('CREATE TABLE charges (order_id text PRIMARY KEY)');
});

afterAll(async () => {
  statements.restore();
  await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
  await db.close();
});

function silent() {
  return createLogger({ service: 'test', destination: new Writable({ write: (_c, _e, done) => done() }) });
}

/** Charges a run of orders in one statement and publishes one event per order. */
const charge = (badEventIdFor?: string): BatchHandler<'OrderCreated'> => ({
  async batch(items, tx: Tx) {
    await tx.query('INSERT INTO charges (order_id) SELECT unnest($1::text[])', [
      items.map((i) => i.event.orderId),
    ]);
    for (const { event, ctx } of items) {
      const eventId = event.orderId === badEventIdFor ? 'not-a-uuid' : randomUUID();
      ctx.publish('OrderCreated', { ...event, eventId } as never);
    }
  },
});

/** The runner over the real database: real transactions, inbox and outbox; fake Kafka. */
function runnerOnPostgres(handlers: Handlers) {
  const fake = new FakeDatabase();
  Object.assign(fake, { transaction: (work: (tx: Tx) => Promise<unknown>) => db.tx(work) });
  Object.assign(fake, { inbox: postgresInbox, outbox: appendToOutbox });
  return runnerOver(fake, handlers);
}

const count = async (table: string) =>
  Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);

test('given a chunk of ten fresh events, when handled, then it costs the handler statement plus two round trips; redelivered, two and nothing changes', async () => {
  const { consume } = runnerOnPostgres({ OrderCreated: charge() });
  const messages = Array.from({ length: 10 }, (_, i) => orderCreated(i));

  statements.clear();
  await consume(fakeBatch(messages));
  expect(statements.sent.map((s) => s.split(/\s/)[0])).toEqual(['BEGIN;', 'INSERT', 'INSERT']);
  expect(statements.sent[0]).toMatch(/^BEGIN; INSERT INTO inbox/);
  expect(statements.sent[2]).toMatch(/^INSERT INTO outbox .*; COMMIT$/s);
  expect([await count('inbox'), await count('charges'), await count('outbox')]).toEqual([10, 10, 10]);

  statements.clear();
  await consume(fakeBatch(messages));
  expect(statements.sent).toHaveLength(2); // BEGIN with the inbox claim, then COMMIT
  expect([await count('inbox'), await count('charges'), await count('outbox')]).toEqual([10, 10, 10]);
});

test('given a chunk where one event publishes a row the commit refuses, when handled, then nothing of the chunk commits at first, and in the end the others commit and that one goes to the DLQ', async () => {
  const before = [await count('inbox'), await count('charges'), await count('outbox')];
  const messages = Array.from({ length: 5 }, (_, i) => orderCreated(100 + i));
  const { consume, sender } = runnerOnPostgres({ OrderCreated: charge('order-102') });

  await consume(fakeBatch(messages));

  expect(sender.sent.map((m) => m.headers['x-dlq-reason'])).toEqual(['HANDLER_FAILED']);
  expect(sender.sent[0]!.headers['x-dlq-source-offset']).toBe('102');
  expect(sender.sent[0]!.headers['x-dlq-error']).toContain('uuid');
  const after = [await count('inbox'), await count('charges'), await count('outbox')];
  expect(after.map((n, i) => n - before[i]!)).toEqual([4, 4, 4]);
  const { rows } = await db.query<{ order_id: string }>(
    `SELECT order_id FROM charges WHERE order_id = 'order-102'`,
  );
  expect(rows).toEqual([]);
});

test('given a publishing transaction, when its outbox rows ride its COMMIT, then the relay is handed them with the ids PostgreSQL gave them', async () => {
  const handed: OutboxRow[][] = [];
  const transaction = publishingTransactions(db, { publish: (rows) => handed.push(rows) });
  const events = [randomUUID(), randomUUID()].map((eventId) => ({ eventId, orderId: `order-${eventId}` }));

  statements.clear();
  await transaction((tx) =>
    appendToOutbox(
      tx,
      events.map((e) => eventMessage(fakeCodec, '', 'OrderCreated', e as never, {})),
    ),
  );

  expect(statements.sent).toHaveLength(1); // BEGIN, the rows and COMMIT in one round trip
  const { rows } = await db.query<{ id: string; event_id: string }>(
    'SELECT id, event_id FROM outbox WHERE event_id = ANY($1) ORDER BY id',
    [events.map((e) => e.eventId)],
  );
  expect(handed).toHaveLength(1);
  expect(handed[0]!.map((r) => [r.id, r.headers['x-event-id']])).toEqual(rows.map((r) => [r.id, r.event_id]));
});

test('given values with quotes, backslashes, commas, braces and NULL-like text, when written as array literals, then PostgreSQL reads them back unchanged', async () => {
  const values = [`a"b`, 'c\\d', "e'f", '{g,h}', '', 'NULL', ' spaced ', 'ünï\u{1F600}'];
  const { rows } = await db.query<{ v: string }>(`SELECT unnest(${arrayLiteral(values, 'text')}) AS v`);
  expect(rows.map((r) => r.v)).toEqual(values);
  expect(() => integerArrayLiteral(['12', '1; DROP TABLE inbox'], 'bigint')).toThrow('not an integer');
  // Values with nothing to escape take the short way; an empty column is an empty array.
  const plain = ['abc', 'a+b/c=', ' x y ', ''];
  const read = async (literal: string) =>
    (await db.query<{ v: string }>(`SELECT unnest(${literal}) AS v`)).rows.map((r) => r.v);
  expect(await read(arrayLiteral(plain, 'text'))).toEqual(plain);
  expect(await read(arrayLiteral([], 'text'))).toEqual([]);
});

test('given an event whose bytes take every value, when its outbox row is written, then the row holds those bytes unchanged', async () => {
  const eventId = randomUUID();
  const value = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7) % 256));
  const message = {
    ...eventMessage(fakeCodec, '', 'OrderCreated', { eventId, orderId: 'o' } as never, {}),
    value,
  };
  await db.tx((tx) => appendToOutbox(tx, [message]));
  const { rows } = await db.query<{ value: Buffer }>('SELECT value FROM outbox WHERE event_id = $1', [
    eventId,
  ]);
  expect(rows[0]!.value.equals(value)).toBe(true);
});

test('given rows in the outbox table, when the relay drains it, then each pass costs two round trips (BEGIN with the take, then COMMIT) and the rows go out in id order', async () => {
  await db.query('DELETE FROM outbox');
  const transaction = publishingTransactions(db, { publish: () => undefined }); // rows left to the table
  const events = [randomUUID(), randomUUID(), randomUUID()].map((eventId) => ({
    eventId,
    orderId: `order-${eventId}`,
  }));
  await transaction((tx) =>
    appendToOutbox(
      tx,
      events.map((e) => eventMessage(fakeCodec, '', 'OrderCreated', e as never, {})),
    ),
  );
  const published: string[] = [];
  const relay = new OutboxRelay({
    db,
    producer: {
      async sendBatch({ topicMessages = [] }) {
        published.push(...topicMessages.flatMap((t) => t.messages.map((m) => String(m.key))));
        return [];
      },
    },
    logger: silent(),
    metrics: createMetrics('test'),
    tracing: TRACING_OFF,
    sweepGraceMs: 0,
  });

  statements.clear();
  expect(await relay.publishBatch()).toBe(3);
  expect(statements.sent).toHaveLength(2);
  expect(statements.sent[0]).toMatch(/^BEGIN; SET LOCAL synchronous_commit = off; DELETE FROM outbox/);
  expect(statements.sent[1]).toBe('COMMIT');
  expect(published).toEqual(events.map((e) => `order-${e.eventId}`));
  expect(await count('outbox')).toBe(0);

  statements.clear();
  expect(await relay.publishBatch()).toBe(0); // the table is empty: the drain ends
  expect(statements.sent).toHaveLength(2);

  // The once-a-second sweep is the same statement with an age filter, its grace as a literal.
  relay.start();
  const late = randomUUID();
  await transaction((tx) =>
    appendToOutbox(tx, [
      eventMessage(fakeCodec, '', 'OrderCreated', { eventId: late, orderId: `order-${late}` } as never, {}),
    ]),
  );
  await waitFor(() => published.includes(`order-${late}`), { timeoutMs: 10_000, what: 'the sweep' });
  await relay.stop();
  const sweep = statements.sent.findIndex((s) =>
    /^BEGIN; SET LOCAL synchronous_commit = off; DELETE FROM outbox .*make_interval\(secs => 0\)/s.test(s),
  );
  expect(sweep).toBeGreaterThanOrEqual(0);
  expect(statements.sent[sweep + 1]).toBe('COMMIT');
});
