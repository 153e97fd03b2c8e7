// What every event carries besides its own facts: a fresh eventId, the order it concerns (also
// its Kafka key) and when it happened. Causation and correlation travel as headers, added when
// the event is published. Deciders are handed the clock and the id source, so they stay pure
// and their tests can name the exact events they expect.
import { randomUUID } from 'node:crypto';

export interface Stamps {
  now(): Date;
  newId(): string;
}

/** The real clock and random UUIDs: what the services run with. */
export const LIVE_STAMPS: Stamps = { now: () => new Date(), newId: () => randomUUID() };

interface Envelope {
  eventId: string;
  orderId: string;
  occurredAt: string;
}

export function envelope(orderId: string, stamps: Stamps): Envelope {
  return { eventId: stamps.newId(), orderId, occurredAt: stamps.now().toISOString() };
}
