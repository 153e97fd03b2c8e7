// Rule 3: a transient failure retries the chunk, for as long as it lasts, committing nothing.
import { UnavailableError, type OrderCreated } from '@orderflow/shared';
import { FakeDatabase, fakeBatch, orderCreated, runnerOver } from './fakes';

test('a transient failure retries the chunk without resolving its offset, then commits it once', async () => {
  const db = new FakeDatabase();
  let outages = 5; // more than MAX_ATTEMPTS: an outage is waited out, never dead-lettered
  const resolvedDuringBackoff: string[][] = [];
  const { consume, sender } = runnerOver(
    db,
    {
      OrderCreated: async (event: OrderCreated, ctx) => {
        if (outages > 0) throw new UnavailableError('database unreachable');
        db.write(ctx.tx, `charged ${event.orderId}`);
      },
    },
    undefined,
    async () => {
      resolvedDuringBackoff.push([...batch.resolved]);
      outages--;
      return true;
    },
  );
  const batch = fakeBatch([orderCreated(0), orderCreated(1)]);

  await consume(batch);

  expect(resolvedDuringBackoff).toEqual([[], [], [], [], []]);
  expect(db.rollbacks).toBe(5);
  expect(db.effects).toEqual(['charged order-0', 'charged order-1']);
  expect(sender.sent).toEqual([]);
  expect(batch.resolved).toEqual(['1']);
});
