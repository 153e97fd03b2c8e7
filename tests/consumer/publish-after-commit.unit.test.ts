// The runtime publishes right after any commit that may have written outbox rows: the same
// transaction runner serves the consumer's chunks and routes (AppContext.transaction).
import { publishingTransactions, type Tx } from '@orderflow/shared';

function fakeDb() {
  const log: string[] = [];
  return {
    log,
    async tx<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
      log.push('begin');
      try {
        const result = await work({} as Tx);
        log.push('commit');
        return result;
      } catch (err) {
        log.push('rollback');
        throw err;
      }
    },
  };
}

test('the relay is woken right after a transaction commits, with the work’s result passed on', async () => {
  const db = fakeDb();
  const transaction = publishingTransactions(db, { kick: () => void db.log.push('kick') });

  const result = await transaction(async () => {
    db.log.push('write outbox rows');
    return 42;
  });

  expect(result).toBe(42);
  expect(db.log).toEqual(['begin', 'write outbox rows', 'commit', 'kick']);
});

test('the relay is not woken when the transaction rolls back', async () => {
  const db = fakeDb();
  const transaction = publishingTransactions(db, { kick: () => void db.log.push('kick') });

  await expect(
    transaction(async () => {
      throw new Error('the work failed');
    }),
  ).rejects.toThrow('the work failed');

  expect(db.log).toEqual(['begin', 'rollback']);
});
