// Plain fakes of the consumer's seams (services/shared/src/consumer/types.ts): no broker, no
// database. A transaction stages its writes and applies them only if its work returns, so a
// failed transaction leaves no trace, as in PostgreSQL.
import { Writable } from 'node:stream';
import {
  PoisonMessageError,
  TRACING_OFF,
  createLogger,
  createMetrics,
  type OutboxMessage,
  type Tracing,
  type Tx,
} from '@orderflow/shared';
import type {
  Backoff,
  Codec,
  Handlers,
  InboxStore,
  MessageSender,
  OutboxWriter,
  PartitionBatch,
  RawMessage,
  TransactionRunner,
} from '@orderflow/shared/consumer';
import { createRunner } from '@orderflow/shared/consumer/runner';

export const TOPIC = 'orders.events';
export const GROUP = 'test-group';

interface Staged {
  inbox: string[];
  outbox: OutboxMessage[];
  effects: string[];
}

/** What the fake database holds once transactions commit. */
export class FakeDatabase {
  readonly inboxRows = new Set<string>();
  readonly outboxRows: OutboxMessage[] = [];
  /** Effects handlers wrote, in commit order. */
  readonly effects: string[] = [];
  commits = 0;
  rollbacks = 0;
  /** Runs after a transaction's work, before its writes apply: a test holds commits here. */
  beforeCommit: () => Promise<void> = async () => undefined;
  private readonly staged = new WeakMap<Tx, Staged>();

  readonly transaction: TransactionRunner = async (work) => {
    const tx: Tx = {
      query: (async () => {
        throw new Error('unit tests run no SQL');
      }) as unknown as Tx['query'],
    };
    const staged: Staged = { inbox: [], outbox: [], effects: [] };
    this.staged.set(tx, staged);
    let result;
    try {
      result = await work(tx);
    } catch (err) {
      this.rollbacks++;
      throw err;
    }
    await this.beforeCommit();
    staged.inbox.forEach((id) => this.inboxRows.add(id));
    this.outboxRows.push(...staged.outbox);
    this.effects.push(...staged.effects);
    this.commits++;
    return result;
  };

  readonly inbox: InboxStore = {
    claim: async (tx, entries) => {
      const fresh = new Set(entries.map((e) => e.payload.eventId).filter((id) => !this.inboxRows.has(id)));
      this.stagedOf(tx).inbox.push(...fresh);
      return fresh;
    },
  };

  readonly outbox: OutboxWriter = async (tx, messages) => {
    this.stagedOf(tx).outbox.push(...messages);
  };

  /** What a handler does to the database, inside its transaction. */
  write(tx: Tx, effect: string): void {
    this.stagedOf(tx).effects.push(effect);
  }

  private stagedOf(tx: Tx): Staged {
    const staged = this.staged.get(tx);
    if (!staged) throw new Error('not a transaction of this database');
    return staged;
  }
}

/** Encodes events as JSON; anything that is not such JSON is poison, as bad bytes are to Avro. */
export const fakeCodec: Codec = {
  encode: (type, payload) => Buffer.from(JSON.stringify({ type, payload })),
  decodeCached: (value) => parse(value),
  decode: async (value) => parse(value),
};

function parse<P>(value: Buffer | null): { type: never; schemaId: number; payload: P } {
  try {
    const { type, payload } = JSON.parse(String(value)) as { type: never; payload: P };
    if (typeof type !== 'string') throw new Error('no type');
    return { type, schemaId: 1, payload };
  } catch (err) {
    throw new PoisonMessageError('NOT_AVRO', 'not an encoded event', { cause: err });
  }
}

export interface Sent {
  topic: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/** Records what was sent to the DLQ. */
export function fakeSender(): MessageSender & { sent: Sent[] } {
  const sent: Sent[] = [];
  return {
    sent,
    async send(topic, message) {
      sent.push({ topic, ...message });
    },
  };
}

/** An OrderCreated message at `offset`, with an eventId made from the offset unless given. */
export function orderCreated(
  offset: number,
  eventId = `00000000-0000-4000-8000-${String(offset).padStart(12, '0')}`,
): RawMessage {
  return {
    key: Buffer.from(`order-${offset}`),
    value: fakeCodec.encode('OrderCreated', { eventId, orderId: `order-${offset}` } as never),
    offset: String(offset),
    headers: { 'x-correlation-id': `corr-${offset}` },
  };
}

export function poison(offset: number): RawMessage {
  return { key: null, value: Buffer.from('not an event'), offset: String(offset) };
}

/** One partition's batch; records every offset resolved, and whether the partition is paused. */
export function fakeBatch(
  messages: RawMessage[],
  partition = 0,
): PartitionBatch & { resolved: string[]; paused: () => boolean; pauses: () => number } {
  const resolved: string[] = [];
  let paused = false;
  let pauses = 0;
  return {
    topic: TOPIC,
    partition,
    messages,
    resolved,
    paused: () => paused,
    pauses: () => pauses,
    pause: () => {
      paused = true;
      pauses++;
      return () => void (paused = false);
    },
    resolveOffset: (offset) => void resolved.push(offset),
    commitResolved: async () => undefined,
    heartbeat: async () => undefined,
    isRunning: () => true,
    isStale: () => false,
  };
}

/** A runner over the fakes; `backoff` is called instead of waiting, and answers at once. */
export function runnerOver(
  db: FakeDatabase,
  handlers: Handlers,
  sender = fakeSender(),
  backoff: Backoff = async () => true,
  tracing: Tracing = TRACING_OFF,
  codec: Codec = fakeCodec,
) {
  const logs: string[] = [];
  const logger = createLogger({
    service: 'test',
    destination: new Writable({
      write(chunk, _enc, done) {
        logs.push(String(chunk));
        done();
      },
    }),
  });
  const consume = createRunner({
    service: 'test',
    group: GROUP,
    prefix: '',
    handlers,
    codec,
    transaction: db.transaction,
    inbox: db.inbox,
    outbox: db.outbox,
    sender,
    backoff,
    signal: new AbortController().signal,
    logger,
    metrics: createMetrics('test'),
    tracing,
  });
  return { consume, sender, logs };
}
