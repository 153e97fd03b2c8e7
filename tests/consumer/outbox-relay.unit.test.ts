// The relay sends committed rows handed over in memory and deletes them by id without reading the
// table; it reads the table, in id order, at start and after any failed pass until nothing is left.
import type { ProducerBatch } from 'kafkajs';
import {
  OutboxRelay,
  TRACING_OFF,
  createLogger,
  createMetrics,
  type Db,
  type OutboxRow,
} from '@orderflow/shared';
import { waitFor } from '../support/wait';

const row = (id: number): OutboxRow => ({
  id: String(id),
  topic: 'billing.events',
  key: `order-${id}`,
  value: Buffer.from(String(id)),
  headers: {},
  event_type: 'PaymentCaptured',
});

/** An outbox table in memory that logs each statement the relay runs. */
function outboxTable(ids: number[]) {
  const table = new Map(ids.map((id) => [String(id), row(id)]));
  const statements: string[] = [];
  const db = {
    async tx<T>(work: (tx: unknown) => Promise<T>): Promise<T> {
      return work({
        async query(sql: string) {
          statements.push('take from table');
          expect(sql).toContain('ORDER BY id');
          const taken = [...table.values()].reverse(); // RETURNING order is not guaranteed
          table.clear();
          return { rows: taken };
        },
      });
    },
    async query(sql: string, [ids]: [string[]]) {
      statements.push(`delete ${ids.join(',')}`);
      expect(sql).toContain('DELETE FROM outbox WHERE id = ANY');
      for (const id of ids) table.delete(id);
      return { rows: [] };
    },
  } as unknown as Db;
  return { db, table, statements };
}

function relayOver(db: Db) {
  const sent: string[][] = [];
  let refuse: Error | undefined;
  const producer = {
    async sendBatch({ topicMessages = [] }: ProducerBatch) {
      if (refuse) throw refuse;
      sent.push(topicMessages.flatMap((t) => t.messages.map((m) => String(m.key))));
      return [];
    },
  };
  const relay = new OutboxRelay({
    db,
    producer,
    logger: createLogger({ level: 'silent', service: 'test' }),
    metrics: createMetrics('test'),
    tracing: TRACING_OFF,
  });
  return { relay, sent, refuseSends: (err: Error | undefined) => (refuse = err) };
}

test('given rows left in the table, when the relay starts, then it publishes them first, in id order', async () => {
  const { db, statements } = outboxTable([3, 1, 2]);
  const { relay, sent } = relayOver(db);

  expect(await relay.publishBatch()).toBe(3);
  expect(await relay.publishBatch()).toBe(0);

  expect(sent).toEqual([['order-1', 'order-2', 'order-3']]);
  expect(statements).toEqual(['take from table', 'take from table']);
});

test('given an empty table, when committed rows are handed over, then they are sent and deleted by id without reading the table', async () => {
  const { db, table, statements } = outboxTable([]);
  const { relay, sent } = relayOver(db);
  await relay.publishBatch();
  statements.length = 0;
  for (const id of [4, 5]) table.set(String(id), row(id)); // committed by a publishing transaction

  relay.publish([row(4), row(5)]);
  expect(await relay.publishBatch()).toBe(2);
  await relay.stop();

  expect(sent).toEqual([['order-4', 'order-5']]);
  expect(statements).toEqual(['delete 4,5']);
  expect(table.size).toBe(0);
});

test('given a send from memory that failed, then the next batches come from the table in id order, then from memory again', async () => {
  const { db, table, statements } = outboxTable([]);
  const { relay, sent, refuseSends } = relayOver(db);
  await relay.publishBatch();
  statements.length = 0;
  for (const id of [6, 7, 8]) table.set(String(id), row(id));

  relay.publish([row(6), row(7)]);
  refuseSends(new Error('broker gone'));
  await expect(relay.publishBatch()).rejects.toThrow('broker gone');
  refuseSends(undefined);
  relay.publish([row(8)]); // committed while the relay was failing: the table has it too
  expect(await relay.publishBatch()).toBe(3);
  expect(await relay.publishBatch()).toBe(0);
  table.set('9', row(9));
  relay.publish([row(9)]);
  expect(await relay.publishBatch()).toBe(1);
  await relay.stop();

  expect(sent).toEqual([['order-6', 'order-7', 'order-8'], ['order-9']]);
  expect(statements).toEqual(['take from table', 'take from table', 'delete 9']);
});

test('given a sweep for old rows that failed (database gone), when the relay retries, then it drains the whole table before it counts as recovered', async () => {
  const reads: string[] = [];
  let failed = false;
  const db = {
    async tx<T>(work: (tx: unknown) => Promise<T>): Promise<T> {
      return work({
        async query(sql: string, params?: unknown[]) {
          // A sweep takes only rows older than its grace period; a drain takes every row.
          const sweep = params ? params[1] !== null : sql.includes('created_at <');
          if (sweep && !failed) {
            failed = true;
            reads.push('sweep failed');
            throw new Error('database gone');
          }
          reads.push(sweep ? 'sweep' : 'drain');
          return { rows: [] };
        },
      });
    },
  } as unknown as Db;
  const { relay } = relayOver(db);

  relay.start(); // drains the table, then sweeps it once a second
  await waitFor(() => reads.length >= 3, { timeoutMs: 10_000, what: 'the read after the failed sweep' });
  await relay.stop();

  expect(reads.slice(0, 3)).toEqual(['drain', 'sweep failed', 'drain']);
});
