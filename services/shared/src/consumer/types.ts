// What handlers see (the API services write against) and the seams the consumer depends on,
// each small enough for a unit test to fake.
import type { Span } from '@opentelemetry/api';
import type { EventCodec } from '../codec';
import type { EventPayloads } from '../contracts';
import type { Tx } from '../db';
import type { Logger } from '../logger';
import type { OutboxMessage } from '../outbox';
import type { EventName } from '../topics';

export interface EventMeta {
  eventId: string;
  topic: string;
  partition: number;
  offset: string;
  headers: Record<string, string>;
}

export interface HandlerContext {
  tx: Tx;
  log: Logger;
  meta: EventMeta;
  /** Queues an event for the outbox; it commits (or not) with this transaction. */
  publish<E extends EventName>(type: E, payload: EventPayloads[E]): void;
}

export type Handler<E extends EventName> = (event: EventPayloads[E], ctx: HandlerContext) => Promise<void>;

export interface BatchItem<E extends EventName> {
  type: E;
  event: EventPayloads[E];
  ctx: HandlerContext;
}

/**
 * Handles a run of fresh (not yet handled) events, in arrival order, inside the chunk's
 * transaction: the same effects as calling a Handler for each in turn, in fewer statements.
 * A run is every consecutive event with the same handler, so one BatchHandler registered for
 * several types sees them all at once (and can lock their rows in one ordered statement).
 * A failure fails the whole chunk, which is then retried event by event.
 */
export interface BatchHandler<E extends EventName> {
  batch(items: BatchItem<E>[], tx: Tx): Promise<void>;
}

export type Handlers = { [E in EventName]?: Handler<E> | BatchHandler<E> };

/** A raw Kafka message as the consumer reads it. */
export interface RawMessage {
  key: Buffer | null;
  value: Buffer | null;
  offset: string;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}

/** A decoded message this service handles. */
export interface Entry {
  message: RawMessage;
  type: EventName;
  payload: { eventId: string; orderId: string };
  meta: EventMeta;
  /** The span of its handling, from decoding until it commits or is dead-lettered; none when tracing is off. */
  span: Span | undefined;
}

/**
 * One partition's fetched messages and the offset bookkeeping that goes with them (kafkajs's
 * eachBatch payload, narrowed). An offset resolved here is committed; so it is resolved only
 * once what it accounts for has committed (or gone to the DLQ), and commits (commits.ts) take
 * only resolved offsets.
 */
export interface PartitionBatch {
  topic: string;
  partition: number;
  messages: RawMessage[];
  resolveOffset(offset: string): void;
  /** Commits every offset resolved so far, this batch's and other partitions' alike. */
  commitResolved(): Promise<void>;
  heartbeat(): Promise<void>;
  /** Stops fetching this partition (kafkajs's pause of it alone); the answer resumes it. */
  pause(): () => void;
  isRunning(): boolean;
  isStale(): boolean;
}

/** Runs `work` in one database transaction (and publishes its outbox rows once it commits). */
export type TransactionRunner = <T>(work: (tx: Tx) => Promise<T>) => Promise<T>;

/** Records which events a transaction has handled; answers the eventIds seen for the first time. */
export interface InboxStore {
  claim(tx: Tx, entries: readonly Entry[]): Promise<Set<string>>;
}

/** Writes encoded events to the outbox inside a transaction. */
export type OutboxWriter = (tx: Tx, messages: OutboxMessage[]) => Promise<void>;

/** Sends one message to a topic, acknowledged by every in-sync replica. */
export interface MessageSender {
  send(
    topic: string,
    message: { key: Buffer | null; value: Buffer | null; headers: Record<string, string> },
  ): Promise<void>;
}

/** Waits before retry `attempt`; false when the consumer is stopping and should give up. */
export type Backoff = (attempt: number, signal: AbortSignal) => Promise<boolean>;

/** The part of the codec the consumer uses. */
export type Codec = Pick<EventCodec, 'decode' | 'decodeCached' | 'encode'>;
