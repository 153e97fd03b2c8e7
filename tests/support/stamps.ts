// A clock that stands still and ids that count up: deciders' events become exact values.
import type { Stamps } from '@orderflow/shared';

export function fixedStamps(at = '2026-11-27T15:00:00.000Z'): Stamps & { at: string } {
  let next = 0;
  return { at, now: () => new Date(at), newId: () => `id-${++next}` };
}
