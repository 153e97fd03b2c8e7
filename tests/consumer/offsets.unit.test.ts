// Rule 5: an offset is resolved (and so committed) only after the transaction that accounts
// for its message has committed.
import type { OrderCreated } from '@orderflow/shared';
import { FakeDatabase, fakeBatch, orderCreated, runnerOver } from './fakes';

test('offsets resolve only after the transaction that handled their messages commits', async () => {
  const db = new FakeDatabase();
  let reachedCommit!: () => void;
  const atCommit = new Promise<void>((resolve) => (reachedCommit = resolve));
  let commit!: () => void;
  db.beforeCommit = () => {
    reachedCommit();
    return new Promise<void>((resolve) => (commit = resolve));
  };
  const { consume } = runnerOver(db, {
    OrderCreated: async (event: OrderCreated, ctx) => db.write(ctx.tx, `charged ${event.orderId}`),
  });
  const batch = fakeBatch([orderCreated(0), orderCreated(1)]);

  const consumed = consume(batch);
  await atCommit; // the handlers ran; the transaction has not committed yet
  expect(db.effects).toEqual([]);
  expect(batch.resolved).toEqual([]);
  commit();
  await consumed;

  expect(db.effects).toEqual(['charged order-0', 'charged order-1']);
  expect(batch.resolved).toEqual(['1']);
});
