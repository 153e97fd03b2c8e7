// Rule 4: any other failure re-runs the chunk one message at a time; a message that keeps
// failing goes to the DLQ after MAX_ATTEMPTS, and the rest of its chunk commits.
import { MAX_ATTEMPTS } from '@orderflow/shared/consumer';
import type { OrderCreated } from '@orderflow/shared';
import { FakeDatabase, fakeBatch, orderCreated, runnerOver } from './fakes';

test('a message that keeps failing is retried alone and dead-lettered after MAX_ATTEMPTS while the rest of its chunk commits', async () => {
  const db = new FakeDatabase();
  const runs: string[][] = []; // the orders each transaction handled, successful or not
  let current: string[] = [];
  const { consume, sender } = runnerOver(db, {
    OrderCreated: {
      async batch(items, tx) {
        current = items.map((i) => (i.event as OrderCreated).orderId);
        runs.push(current);
        for (const { event } of items) {
          if (event.orderId === 'order-1') throw new Error('the handler cannot process this order');
          db.write(tx, `charged ${event.orderId}`);
        }
      },
    },
  });
  const batch = fakeBatch([orderCreated(0), orderCreated(1), orderCreated(2)]);

  await consume(batch);

  expect(runs[0]).toEqual(['order-0', 'order-1', 'order-2']); // the chunk, once
  const alone = runs.filter((r) => r.length === 1 && r[0] === 'order-1');
  expect(alone).toHaveLength(MAX_ATTEMPTS);
  expect(db.effects.sort()).toEqual(['charged order-0', 'charged order-2']);
  expect(sender.sent).toHaveLength(1);
  expect(sender.sent[0]!.headers).toMatchObject({
    'x-dlq-reason': 'HANDLER_FAILED',
    'x-dlq-error': 'the handler cannot process this order',
    'x-dlq-source-offset': '1',
  });
  expect(batch.resolved).toEqual(['2']);
});
