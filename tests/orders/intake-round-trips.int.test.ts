// The intake transaction on the real PostgreSQL: a batch of orders costs two round trips (BEGIN
// with the orders' insert, then the history and outbox rows with COMMIT), a created order is
// answered with exactly the row stored, and an orderId seen again is found, not written twice.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import {
  REPO_ROOT,
  createDb,
  createLogger,
  eventMessage,
  type Db,
  type OrderCreated,
} from '@orderflow/shared';
import { publishingTransactions, type OutboxRow } from '../../services/shared/src/outbox';
import { writeOrders, type Placement } from '../../services/orders/src/service';
import { stackEnv } from '../support/platform';
import { recordStatements, type StatementRecorder } from '../support/statements';
import { fakeCodec } from '../consumer/fakes';

const schema = `t${randomBytes(4).toString('hex')}_intake_trips`;
let db: Db;
let statements: StatementRecorder;

beforeAll(async () => {
  statements = recordStatements();
  const logger = createLogger({
    service: 'test',
    destination: new Writable({ write: (_c, _e, done) => done() }),
  });
  db = await createDb({ url: stackEnv.DATABASE_URL, schema, logger, max: 2 });
  await db.migrate([
    join(REPO_ROOT, 'services/shared/src/migrations'),
    join(REPO_ROOT, 'services/orders/src/migrations'),
  ]);
});

afterAll(async () => {
  statements.restore();
  await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
  await db.close();
});

function placement(email: string | null, orderId: string = randomUUID()): Placement {
  const event: OrderCreated = {
    eventId: randomUUID(),
    orderId,
    occurredAt: new Date().toISOString(),
    customerId: `c-"quoted" \\ {brace}, 'single'`,
    email,
    items: [{ itemId: 'ceramic-mug', quantity: 2, unitPriceCents: 1450 }],
    totalCents: 2900,
    currency: 'EUR',
  };
  const fingerprint = createHash('sha256').update(orderId).digest('hex');
  const message = eventMessage(fakeCodec, '', 'OrderCreated', event, {
    traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`,
  });
  return { event, fingerprint, message };
}

test('given a batch of new orders, when written, then it costs two round trips and each answer is the row stored, with its history entry and outbox row', async () => {
  const handed: OutboxRow[][] = [];
  const transaction = publishingTransactions(db, { publish: (rows) => handed.push(rows) });
  const batch = [placement('ada@example.com'), placement(null)];

  statements.clear();
  const placed = await transaction((tx) => writeOrders(tx, batch));

  expect(statements.sent).toHaveLength(2);
  expect(placed.map((p) => p.created)).toEqual([true, true]);
  const { rows } = await db.query('SELECT * FROM orders WHERE order_id = ANY($1)', [
    batch.map((p) => p.event.orderId),
  ]);
  for (const p of placed) expect(p.row).toEqual(rows.find((r) => r.order_id === p.row.order_id));
  const history = await db.query<{ order_id: string; payload: unknown; traceparent: string }>(
    'SELECT order_id, payload, traceparent FROM order_events WHERE order_id = ANY($1)',
    [batch.map((p) => p.event.orderId)],
  );
  expect(history.rows).toHaveLength(2);
  for (const p of batch) {
    const entry = history.rows.find((r) => r.order_id === p.event.orderId)!;
    expect(entry.payload).toEqual(p.event);
    expect(entry.traceparent).toBe(p.message.headers.traceparent);
  }
  expect(
    handed
      .flat()
      .map((r) => r.key)
      .sort(),
  ).toEqual(batch.map((p) => p.event.orderId).sort());
});

test('given an orderId already stored and one repeated in the batch, when written, then each is found once and nothing is written twice', async () => {
  const transaction = publishingTransactions(db, { publish: () => undefined });
  const first = placement('ada@example.com');
  await transaction((tx) => writeOrders(tx, [first]));
  const again = placement('ada@example.com', first.event.orderId);
  const fresh = placement(null);
  const repeat = placement(null, fresh.event.orderId);

  const placed = await transaction((tx) => writeOrders(tx, [again, fresh, repeat]));

  expect(placed.map((p) => p.created)).toEqual([false, true, false]);
  expect(placed[0]!.row.fingerprint).toBe(first.fingerprint);
  expect(placed[2]!.row.fingerprint).toBe(fresh.fingerprint);
  const { rows } = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM order_events WHERE order_id = ANY($1)',
    [[first.event.orderId, fresh.event.orderId]],
  );
  expect(rows[0]!.n).toBe(2);
});
