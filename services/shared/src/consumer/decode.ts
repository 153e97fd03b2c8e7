// Decoding (rule 1): a message that can never be decoded goes to the DLQ at once, because
// retrying cannot fix bytes; a registry that cannot be reached is an outage, answered as
// 'unavailable' so that the runner holds that partition alone (hold.ts) and retries later.
// A lookup is waited for only briefly: kafkajs fetches the next batches only once every batch
// in hand is done, and a lookup of an unreachable registry takes seconds (the client's own
// retries), so a longer one goes on in the background and only its partition waits for it.
import { setTimeout as delay } from 'node:timers/promises';
import { PoisonMessageError, type PoisonReason } from '../errors';
import { topicOf, type EventName } from '../topics';
import { startProcessSpan, type Tracing } from '../tracing';
import type { DeadLetters } from './dlq';
import type { Codec, Entry, EventMeta, RawMessage } from './types';

export interface DecodeDeps {
  group: string;
  codec: Codec;
  prefix: string;
  handledTypes: readonly EventName[];
  deadLetters: DeadLetters;
  tracing: Tracing;
  /** How long a batch waits for a schema lookup before its partition is held instead. */
  lookupWaitMs: number;
}

/** A message whose writer schema cannot be fetched now; `cause` says why. */
export interface Unavailable {
  unavailable: true;
  cause: unknown;
  /** The lookup still running, when it outlasted the wait: true once the schema is cached. */
  lookup?: Promise<boolean>;
}

const LATE = Symbol('late');

/** A lookup that outlasted the wait: transient, the registry may answer yet. */
class StillLooking extends Error {
  readonly retriable = true;
  constructor(
    readonly lookup: Promise<boolean>,
    waitMs: number,
  ) {
    super(`schema lookup still running after ${waitMs} ms`);
  }
}

/**
 * What became of a message: an entry to handle, dead-lettered, not readable until the registry
 * answers, or of a type this service ignores.
 */
export type Decoded = Entry | 'poison' | Unavailable | undefined;

export function decoder(deps: DecodeDeps) {
  const { group, codec, prefix, handledTypes, deadLetters, tracing, lookupWaitMs } = deps;
  const topicByType = new Map<EventName, string>();
  const topicOfType = (type: EventName) => {
    let topic = topicByType.get(type);
    if (topic === undefined) topicByType.set(type, (topic = topicOf(type, prefix)));
    return topic;
  };

  return async function decode(
    topic: string,
    partition: number,
    message: RawMessage,
    heartbeat: () => Promise<void>,
  ): Promise<Decoded> {
    const meta: EventMeta = {
      eventId: '',
      topic,
      partition,
      offset: message.offset,
      headers: stringHeaders(message),
    };
    try {
      const { type, payload } =
        codec.decodeCached<Entry['payload']>(message.value) ??
        (await briefly(codec.decode<Entry['payload']>(message.value), lookupWaitMs));
      if (topicOfType(type) !== topic) {
        throw new PoisonMessageError('UNKNOWN_RECORD_TYPE', `${type} does not belong on topic ${topic}`);
      }
      if (!handledTypes.includes(type)) return undefined;
      const handled = Object.assign({}, meta, { eventId: payload.eventId }); // a spread + key: slow in V8 11
      const span = startProcessSpan(tracing, group, handled, type, payload.orderId);
      return { message, type, payload, meta: handled, span };
    } catch (err) {
      if (err instanceof StillLooking) return { unavailable: true, cause: err, lookup: err.lookup };
      if (!(err instanceof PoisonMessageError)) return { unavailable: true, cause: err };
      const span = startProcessSpan(tracing, group, meta);
      try {
        await deadLetters.send(message, meta, err.code as PoisonReason, err, heartbeat, span);
      } finally {
        span?.end();
      }
      return 'poison';
    }
  };
}

/** The lookup's answer if it comes within `waitMs`; else throws StillLooking, which carries it. */
async function briefly<T>(lookup: Promise<T>, waitMs: number): Promise<T> {
  const timer = new AbortController();
  const late = delay(waitMs, LATE, { signal: timer.signal }).catch(() => LATE);
  try {
    const first = await Promise.race([lookup, late]);
    if (first !== LATE) return first as T;
  } finally {
    timer.abort(); // an answer in time must not leave the timer holding the event loop
  }
  const found = lookup.then(
    () => true,
    () => false,
  );
  throw new StillLooking(found, waitMs);
}

function stringHeaders(message: RawMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(message.headers ?? {})) {
    if (v !== undefined) out[k] = Array.isArray(v) ? String(v[0]) : String(v);
  }
  return out;
}
