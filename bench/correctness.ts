// Whether every accepted order finished exactly once, counted over every platform instance
// of a round (the last one and those abandoned because they fell behind), and which
// results fail the bench.

export interface InstanceOrders {
  accepted: readonly string[];
  /** Orders that were not terminal by the deadline of the phase that sent them. */
  overdue: ReadonlySet<string>;
  /** Terminal events seen per order on the instance's terminal topic. */
  seen: ReadonlyMap<string, number>;
  /** Accepted orders the pipeline's own state holds as finished (orderflow: SHIPPED). */
  finishedInState?: number;
  /** Stopped mid-round because it fell behind, and restarted for this check. */
  abandoned: boolean;
}

export interface Correctness {
  accepted: number;
  /** Accepted orders that never reached the terminal event. */
  missing: number;
  /** Terminal events beyond the first of their order. */
  duplicates: number;
  /** Orders that reached the terminal event only after their phase's deadline. */
  late: number;
  finishedInState?: number;
  /** Instances abandoned mid-round (their backlog would have spilled into the next phase), resumed for this check. */
  abandoned: number;
}

export function correctnessOf(instances: InstanceOrders[]): Correctness {
  const out: Correctness = { accepted: 0, missing: 0, duplicates: 0, late: 0, abandoned: 0 };
  for (const i of instances) {
    out.accepted += i.accepted.length;
    if (i.abandoned) out.abandoned++;
    for (const id of i.accepted) if (!i.seen.has(id)) out.missing++;
    for (const id of i.overdue) if (i.seen.has(id)) out.late++;
    for (const n of i.seen.values()) if (n > 1) out.duplicates += n - 1;
    if (i.finishedInState !== undefined) out.finishedInState = (out.finishedInState ?? 0) + i.finishedInState;
  }
  return out;
}

/** What is wrong with one pipeline's (or the soak's) orders; empty when nothing is. */
export function failuresOf(
  name: string,
  c: { accepted: number; missing: number; duplicates: number; finishedInState?: number },
): string[] {
  const out: string[] = [];
  if (c.missing > 0) out.push(`${name}: ${c.missing} of ${c.accepted} orders never finished`);
  if (c.duplicates > 0) out.push(`${name}: ${c.duplicates} orders finished more than once`);
  if (c.finishedInState !== undefined && c.finishedInState !== c.accepted)
    out.push(
      `${name}: ${c.accepted - c.finishedInState} of ${c.accepted} orders not finished in its own state`,
    );
  return out;
}
