// Rule 1: a message that cannot be decoded goes to the DLQ at once.
import { dlqTopicOf, type OrderCreated } from '@orderflow/shared';
import { FakeDatabase, GROUP, TOPIC, fakeBatch, orderCreated, poison, runnerOver } from './fakes';

test('an undecodable message goes to the DLQ at once with its reason, and the messages around it are handled', async () => {
  const db = new FakeDatabase();
  const backoffs: number[] = [];
  const { consume, sender } = runnerOver(
    db,
    {
      OrderCreated: async (event: OrderCreated, ctx) => db.write(ctx.tx, `charged ${event.orderId}`),
    },
    undefined,
    async (attempt) => {
      backoffs.push(attempt);
      return true;
    },
  );
  const batch = fakeBatch([orderCreated(0), poison(1), orderCreated(2)]);

  await consume(batch);

  expect(backoffs).toEqual([]); // not retried: retrying cannot fix bytes
  expect(sender.sent).toHaveLength(1);
  const [dead] = sender.sent;
  expect(dead!.topic).toBe(dlqTopicOf(GROUP));
  expect(dead!.value).toEqual(Buffer.from('not an event'));
  expect(dead!.headers).toMatchObject({
    'x-dlq-reason': 'NOT_AVRO',
    'x-dlq-error': 'not an encoded event',
    'x-dlq-source-topic': TOPIC,
    'x-dlq-source-partition': '0',
    'x-dlq-source-offset': '1',
    'x-dlq-consumer-group': GROUP,
  });
  expect(db.effects).toEqual(['charged order-0', 'charged order-2']);
  expect(batch.resolved.at(-1)).toBe('2');
});
