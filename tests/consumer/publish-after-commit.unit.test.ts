// The runtime publishes right after any commit that wrote outbox rows, handing the rows to the
// relay in memory: the same transaction runner serves the consumer's chunks and routes
// (AppContext.transaction).
import {
  appendToOutbox,
  publishingTransactions,
  type OutboxMessage,
  type OutboxRow,
  type Tx,
} from '@orderflow/shared';

/** A database whose outbox INSERT answers ids 1, 2, … in the order of the event ids it was given. */
function fakeDb() {
  const log: string[] = [];
  let nextId = 1;
  const tx = {
    async query(sql: string) {
      // The statement carries its values as literals (sql-literals.ts): the event ids, in row order.
      const column = /'\{([^']*)\}'::uuid\[\]/.exec(sql)![1]!;
      const eventIds = column.split(',').map((quoted) => quoted.slice(1, -1));
      log.push(`insert ${eventIds.join(',')}`);
      // RETURNING order is not guaranteed: answer in reverse to prove rows are matched by event id.
      return { rows: eventIds.map((eventId) => ({ id: String(nextId++), event_id: eventId })).reverse() };
    },
  } as unknown as Tx;
  return {
    log,
    async tx<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
      log.push('begin');
      try {
        const result = await work(tx);
        log.push('commit');
        return result;
      } catch (err) {
        log.push('rollback');
        throw err;
      }
    },
  };
}

const message = (eventId: string): OutboxMessage => ({
  topic: 'billing.events',
  key: `order-${eventId}`,
  value: Buffer.from(eventId),
  headers: { 'x-event-id': eventId },
  eventType: 'PaymentCaptured',
  eventId,
});

function relayLog(log: string[]) {
  const handed: OutboxRow[][] = [];
  return {
    handed,
    publish: (rows: OutboxRow[]) => {
      log.push(`publish ${rows.map((r) => `${r.id}:${r.headers['x-event-id']}`).join(',')}`);
      handed.push(rows);
    },
  };
}

test('given rows appended in a transaction, when it commits, then the relay gets them with their ids, in order', async () => {
  const db = fakeDb();
  const relay = relayLog(db.log);
  const transaction = publishingTransactions(db, relay);

  const result = await transaction(async (tx) => {
    await appendToOutbox(tx, [message('a'), message('b')]);
    await appendToOutbox(tx, [message('c')]);
    return 42;
  });

  expect(result).toBe(42);
  expect(db.log).toEqual(['begin', 'insert a,b', 'insert c', 'commit', 'publish 1:a,2:b,3:c']);
  expect(relay.handed[0]![0]).toEqual({
    id: '1',
    topic: 'billing.events',
    key: 'order-a',
    value: Buffer.from('a'),
    headers: { 'x-event-id': 'a' },
    event_type: 'PaymentCaptured',
  });
});

test('given a transaction that rolls back, then the relay gets nothing', async () => {
  const db = fakeDb();
  const transaction = publishingTransactions(db, relayLog(db.log));

  await expect(
    transaction(async (tx) => {
      await appendToOutbox(tx, [message('a')]);
      throw new Error('the work failed');
    }),
  ).rejects.toThrow('the work failed');

  expect(db.log).toEqual(['begin', 'insert a', 'rollback']);
});

test('given rows appended outside a publishing transaction, then no relay holds them (the sweep finds them)', async () => {
  const db = fakeDb();
  const relay = relayLog(db.log);
  publishingTransactions(db, relay);

  await db.tx((tx) => appendToOutbox(tx, [message('a')]));

  expect(db.log).toEqual(['begin', 'insert a', 'commit']);
});
