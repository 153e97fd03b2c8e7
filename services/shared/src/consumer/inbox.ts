// The inbox: one row per handled event, written in the same transaction as the event's
// effects, so a redelivered or republished event finds its row and changes nothing.
import type { Tx } from '../db';
import type { Entry, InboxStore } from './types';

/** The inbox table in the service's schema: one statement per chunk. */
export const postgresInbox: InboxStore = {
  async claim(tx: Tx, entries: readonly Entry[]): Promise<Set<string>> {
    const { rows } = await tx.query<{ event_id: string }>(
      `INSERT INTO inbox (event_id, event_type, topic, partition, "offset")
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::bigint[])
       ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
      [
        entries.map((e) => e.payload.eventId),
        entries.map((e) => e.type),
        entries.map((e) => e.meta.topic),
        entries.map((e) => e.meta.partition),
        entries.map((e) => e.meta.offset),
      ],
    );
    return new Set(rows.map((r) => r.event_id));
  },
};
