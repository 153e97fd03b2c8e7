// Rule 2: the inbox row and the effects commit together, so an event already handled changes
// nothing when it comes again.
import type { OrderCreated } from '@orderflow/shared';
import { FakeDatabase, fakeBatch, orderCreated, runnerOver } from './fakes';

test('an event already in the inbox is skipped with no effect, and its offset still resolves', async () => {
  const db = new FakeDatabase();
  const { consume, logs } = runnerOver(db, {
    OrderCreated: async (event: OrderCreated, ctx) => {
      db.write(ctx.tx, `charged ${event.orderId}`);
      ctx.publish('PaymentCaptured', {
        eventId: `${event.eventId.slice(0, -1)}f`,
        orderId: event.orderId,
      } as never);
    },
  });
  await consume(fakeBatch([orderCreated(0)]));
  expect(db.effects).toEqual(['charged order-0']);
  expect(db.outboxRows).toHaveLength(1);

  const again = fakeBatch([orderCreated(0), orderCreated(1)]);
  await consume(again);

  expect(db.effects).toEqual(['charged order-0', 'charged order-1']);
  expect(db.outboxRows.map((m) => m.key)).toEqual(['order-0', 'order-1']);
  expect(logs.join('')).toContain('Test skipped duplicate OrderCreated for orderId order-0');
  expect(again.resolved).toEqual(['1']);
});

test('the same event twice in one chunk is handled once', async () => {
  const db = new FakeDatabase();
  const { consume } = runnerOver(db, {
    OrderCreated: async (event: OrderCreated, ctx) => db.write(ctx.tx, `charged ${event.orderId}`),
  });
  const same = orderCreated(0);
  await consume(fakeBatch([same, { ...same, offset: '1' }]));
  expect(db.effects).toEqual(['charged order-0']);
});
