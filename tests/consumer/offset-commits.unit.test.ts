// Rule 5, the commit half: offsets go to Kafka in the background, one commit at a time, so no
// batch waits for a commit round trip; a commit takes only offsets already resolved (after their
// transaction committed); and a consumer that stops commits what is resolved before it leaves.
import type { OrderCreated } from '@orderflow/shared';
import type { HandlerContext } from '@orderflow/shared/consumer';
import { waitFor } from '../support/wait';
import { FakeDatabase, fakeBatch, orderCreated, runnerOver } from './fakes';

/** Kafka's side of commits: each holds until answered, and records what was resolved when it was asked. */
function heldCommits(resolved: string[]) {
  const asked: string[][] = [];
  const answers: (() => void)[] = [];
  return {
    asked,
    answerNext: () => answers.shift()!(),
    commitResolved: () => {
      asked.push([...resolved]);
      return new Promise<void>((resolve) => answers.push(resolve));
    },
  };
}

const handlers = (db: FakeDatabase) => ({
  OrderCreated: async (event: OrderCreated, ctx: HandlerContext) =>
    db.write(ctx.tx, `charged ${event.orderId}`),
});

test('given a commit not yet answered, when three batches are handled, then none waits for it and the later two share one commit', async () => {
  const db = new FakeDatabase();
  const { consume } = runnerOver(db, handlers(db));
  const resolved: string[] = [];
  const kafka = heldCommits(resolved);
  const batchAt = (offset: number) => ({ ...fakeBatch([orderCreated(offset)]), resolved, ...kafka });

  await consume({ ...batchAt(0), resolveOffset: (o: string) => void resolved.push(o) });
  await consume({ ...batchAt(1), resolveOffset: (o: string) => void resolved.push(o) });
  await consume({ ...batchAt(2), resolveOffset: (o: string) => void resolved.push(o) });

  expect(db.effects).toEqual(['charged order-0', 'charged order-1', 'charged order-2']);
  expect(kafka.asked).toEqual([['0']]); // the first is in flight; nothing else asked yet
  kafka.answerNext();
  await waitFor(() => kafka.asked.length === 2, { intervalMs: 1, what: 'the second commit' });
  expect(kafka.asked).toEqual([['0'], ['0', '1', '2']]);
});

test('given a consumer that is stopping, when its batch ends, then it returns only once the resolved offsets are committed', async () => {
  const db = new FakeDatabase();
  const { consume } = runnerOver(db, handlers(db));
  const batch = fakeBatch([orderCreated(0)]);
  const kafka = heldCommits(batch.resolved);
  let runningChecks = 0;
  const isRunning = () => runningChecks++ < 1; // the stop arrives once the message is fetched
  let returned = false;

  const consumed = consume({ ...batch, ...kafka, isRunning }).then(() => (returned = true));
  await waitFor(() => kafka.asked.length === 1, { intervalMs: 1, what: 'the first commit' });
  expect(db.effects).toEqual(['charged order-0']);
  kafka.answerNext();
  await waitFor(() => kafka.asked.length === 2, { intervalMs: 1, what: "the stop's commit" });
  expect(returned).toBe(false); // the stop's own commit of what is resolved is still unanswered
  expect(kafka.asked).toEqual([['0'], ['0']]);
  kafka.answerNext();
  await consumed;
  expect(returned).toBe(true);
});
