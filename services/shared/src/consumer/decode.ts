// Decoding (rule 1): a message that can never be decoded goes to the DLQ at once, because
// retrying cannot fix bytes; a registry that cannot be reached is an outage, answered as
// 'unavailable' so that the runner holds that partition alone (hold.ts) and retries later.
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
}

/** A message whose writer schema cannot be fetched now; `cause` says why. */
export interface Unavailable {
  unavailable: true;
  cause: unknown;
}

/**
 * What became of a message: an entry to handle, dead-lettered, not readable until the registry
 * answers, or of a type this service ignores.
 */
export type Decoded = Entry | 'poison' | Unavailable | undefined;

export function decoder(deps: DecodeDeps) {
  const { group, codec, prefix, handledTypes, deadLetters, tracing } = deps;
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
        (await codec.decode<Entry['payload']>(message.value));
      if (topicOfType(type) !== topic) {
        throw new PoisonMessageError('UNKNOWN_RECORD_TYPE', `${type} does not belong on topic ${topic}`);
      }
      if (!handledTypes.includes(type)) return undefined;
      const handled = { ...meta, eventId: payload.eventId };
      const span = startProcessSpan(tracing, group, handled, type, payload.orderId);
      return { message, type, payload, meta: handled, span };
    } catch (err) {
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

function stringHeaders(message: RawMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(message.headers ?? {})) {
    if (v !== undefined) out[k] = Array.isArray(v) ? String(v[0]) : String(v);
  }
  return out;
}
