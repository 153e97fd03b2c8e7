// Rule 3, for decoding: a message whose writer schema cannot be fetched (registry unreachable)
// holds up only its own partition. Its batch stops there, offsets are resolved only before it,
// that partition alone is paused, and it is resumed after the backoff; other partitions go on.
import { Writable } from 'node:stream';
import {
  createLogger,
  createMetrics,
  UnavailableError,
  waitBackoff,
  type OrderCreated,
} from '@orderflow/shared';
import type { Codec, HandlerContext, RawMessage } from '@orderflow/shared/consumer';
import { partitionHolds } from '@orderflow/shared/consumer/hold';
import { waitFor } from '../support/wait';
import { FakeDatabase, fakeBatch, fakeCodec, orderCreated, runnerOver } from './fakes';

/** The fake registry: messages marked with a new schema decode only once it has answered. */
function registry() {
  let up = false;
  let learned = false;
  const isNew = (value: Buffer | null) => (JSON.parse(String(value)) as { newSchema?: true }).newSchema;
  const codec: Codec = {
    ...fakeCodec,
    decodeCached: (value) => (isNew(value) && !learned ? undefined : fakeCodec.decodeCached(value)),
    decode: async (value) => {
      if (isNew(value) && !learned) {
        if (!up) throw new UnavailableError('schema registry unreachable while looking up schema id 2');
        learned = true;
      }
      return fakeCodec.decode(value);
    },
  };
  return { codec, comeBack: () => (up = true) };
}

/** An OrderCreated written with a schema id no consumer has cached. */
function withNewSchema(offset: number): RawMessage {
  const message = orderCreated(offset);
  const encoded = JSON.parse(String(message.value)) as object;
  return { ...message, value: Buffer.from(JSON.stringify({ ...encoded, newSchema: true })) };
}

/** What kafkajs fetches after a resume: the partition from its last resolved offset + 1. */
const refetch = (messages: RawMessage[], resolved: string[]) =>
  messages.filter((m) => resolved.length === 0 || BigInt(m.offset) > BigInt(resolved.at(-1)!));

test('given the registry down, when partition A meets a schema nobody cached, then only A waits, paused from that message, and after the resume it is handled once', async () => {
  const db = new FakeDatabase();
  const { codec, comeBack } = registry();
  const backoffs: (() => void)[] = []; // the timers: each ends when the test says so
  const { consume, logs } = runnerOver(
    db,
    {
      OrderCreated: async (e: OrderCreated, ctx: HandlerContext) => db.write(ctx.tx, `charged ${e.orderId}`),
    },
    undefined,
    () => new Promise<boolean>((resolve) => backoffs.push(() => resolve(true))),
    undefined,
    codec,
  );
  const onA = [orderCreated(0), withNewSchema(1), orderCreated(2)];
  const a = fakeBatch(onA, 0);
  const b = fakeBatch([orderCreated(10), orderCreated(11)], 1);

  // One fetch round: kafkajs hands both partitions' batches over together.
  await Promise.all([consume(a), consume(b)]);

  expect(a.resolved).toEqual(['0']); // nothing at or past the held message
  expect(a.paused()).toBe(true);
  expect(a.pauses()).toBe(1);
  expect(b.resolved).toEqual(['11']);
  expect(b.pauses()).toBe(0);
  expect(db.effects.sort()).toEqual(['charged order-0', 'charged order-10', 'charged order-11']);
  expect(logs.filter((l) => l.includes('decode failed; retrying'))).toHaveLength(1);

  // Still down when the first backoff ends: A is fetched again from the held message, and held again.
  backoffs.shift()!();
  await waitFor(() => !a.paused(), { intervalMs: 1, what: 'A resumed after the first backoff' });
  const again = fakeBatch(refetch(onA, a.resolved), 0);
  await consume(again);
  expect(again.resolved).toEqual([]);
  expect(again.paused()).toBe(true);

  comeBack();
  backoffs.shift()!();
  await waitFor(() => !again.paused(), { intervalMs: 1, what: 'A resumed after the second backoff' });
  const afterResume = fakeBatch(refetch(onA, a.resolved), 0);
  await consume(afterResume);

  expect(afterResume.resolved).toEqual(['2']);
  expect(afterResume.pauses()).toBe(0);
  expect(db.effects.filter((e) => e === 'charged order-1')).toHaveLength(1);
  expect(db.effects.filter((e) => e === 'charged order-2')).toHaveLength(1);
  expect(logs.filter((l) => l.includes('decode failed; retrying'))).toHaveLength(2);
  expect(backoffs).toHaveLength(0);
});

test('given a registry slow to answer, when partition A meets a schema nobody cached, then the batch does not wait for the lookup: A is paused until the schema is found, with no backoff', async () => {
  const db = new FakeDatabase();
  let answer: () => void = () => undefined;
  const answered = new Promise<void>((resolve) => (answer = resolve));
  let learned = false;
  const codec: Codec = {
    ...fakeCodec,
    decodeCached: (value) =>
      JSON.parse(String(value)).newSchema && !learned ? undefined : fakeCodec.decodeCached(value),
    decode: async (value) => {
      await answered; // the lookup takes as long as the test says
      learned = true;
      return fakeCodec.decode(value);
    },
  };
  const backoffs: number[] = [];
  const { consume } = runnerOver(
    db,
    {
      OrderCreated: async (e: OrderCreated, ctx: HandlerContext) => db.write(ctx.tx, `charged ${e.orderId}`),
    },
    undefined,
    async (attempt) => {
      backoffs.push(attempt);
      return true;
    },
    undefined,
    codec,
  );
  const onA = [orderCreated(0), withNewSchema(1), orderCreated(2)];
  const a = fakeBatch(onA, 0);
  const b = fakeBatch([orderCreated(10)], 1);

  await Promise.all([consume(a), consume(b)]); // returns although the lookup has not answered

  expect(a.resolved).toEqual(['0']);
  expect(a.paused()).toBe(true);
  expect(b.resolved).toEqual(['10']);
  answer();
  await waitFor(() => !a.paused(), { intervalMs: 1, what: 'A resumed once the schema was found' });
  expect(backoffs).toEqual([]);
  const afterResume = fakeBatch(refetch(onA, a.resolved), 0);
  await consume(afterResume);
  expect(afterResume.resolved).toEqual(['2']);
  expect(db.effects.filter((e) => e === 'charged order-1')).toHaveLength(1);
});

test('given a partition held for its backoff, when the consumer stops, then the backoff timer is cleared at once and the partition is not resumed', async () => {
  const stopping = new AbortController();
  let backoffOver: Promise<boolean> | undefined;
  const holds = partitionHolds({
    // A long backoff (2.5 to 5 s), waited as the consumer waits it.
    backoff: (_attempt, signal) => (backoffOver = waitBackoff(10, signal)),
    signal: stopping.signal,
    logger: createLogger({ service: 'test', destination: new Writable({ write: (_c, _e, done) => done() }) }),
    metrics: createMetrics('test'),
  });
  const a = fakeBatch([withNewSchema(1)], 0);

  holds.hold(a, '1', new UnavailableError('schema registry unreachable'));
  await waitFor(() => backoffOver !== undefined, { intervalMs: 1, what: 'the backoff to start' });
  stopping.abort();
  const stoppedAt = Date.now();

  expect(await backoffOver).toBe(false);
  expect(Date.now() - stoppedAt).toBeLessThan(1_000);
  await new Promise(setImmediate); // the hold's own continuation runs after the backoff's answer
  expect(a.paused()).toBe(true);
});
