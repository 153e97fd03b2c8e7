// The inbox: one row per handled event, written in the same transaction as the event's
// effects, so a redelivered or republished event finds its row and changes nothing.
import type { Tx } from '../db';
import { arrayLiteral, integerArrayLiteral } from '../sql-literals';
import type { Entry, InboxStore } from './types';

/**
 * The inbox table in the service's schema: one statement per chunk, and that one takes no
 * parameters, so the transaction's BEGIN travels with it (db.ts): no round trip of its own.
 */
export const postgresInbox: InboxStore = {
  async claim(tx: Tx, entries: readonly Entry[]): Promise<Set<string>> {
    const column = (type: string, of: (e: Entry) => string) => arrayLiteral(entries.map(of), type);
    const columns = [
      column('uuid', (e) => e.payload.eventId),
      column('text', (e) => e.type),
      column('text', (e) => e.meta.topic),
      integerArrayLiteral(
        entries.map((e) => e.meta.partition),
        'int',
      ),
      integerArrayLiteral(
        entries.map((e) => e.meta.offset),
        'bigint',
      ),
    ];
    const { rows: fresh } = await tx.query<{ event_id: string }>(
      `INSERT INTO inbox (event_id, event_type, topic, partition, "offset")
       SELECT * FROM unnest(${columns.join(', ')})
       ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
    );
    return new Set(fresh.map((r) => r.event_id));
  },
};
