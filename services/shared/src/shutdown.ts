// A bounded stop: the steps of a service's shutdown run in order (intake first, the database
// last), but never longer than SHUTDOWN_TIMEOUT_MS in all. A step still waiting at the deadline
// (a Kafka client retrying a broker that is gone, a pool waiting for a dead server) is abandoned
// and named in the log; its uncommitted work is redelivered after the restart and deduplicated
// by the inbox, and unrelayed outbox rows are relayed then.
import type { Logger } from './logger';

export interface StopStep {
  /** What the step stops, as the log names it when abandoned. */
  what: string;
  run: () => Promise<unknown>;
}

export interface StopOutcome {
  /** true: every step finished in time. */
  drained: boolean;
  /** The steps that had not finished by the deadline. */
  abandoned: string[];
}

/** Steps left when the deadline passes get this long, side by side, before they are abandoned. */
const LAST_CHANCE_SHARE = 0.1;

export async function stopWithin(steps: StopStep[], timeoutMs: number, logger: Logger): Promise<StopOutcome> {
  const started = Date.now();
  const sequentialUntil = started + timeoutMs * (1 - LAST_CHANCE_SHARE);
  const abandoned: string[] = [];
  let next = 0;
  for (; next < steps.length; next++) {
    const step = steps[next]!;
    const finished = await settledBefore(step, sequentialUntil - Date.now(), logger);
    if (!finished) {
      abandoned.push(step.what);
      next++;
      break;
    }
  }
  // Past the deadline: the rest (usually quick, such as closing the database pool) all at once.
  const rest = steps.slice(next);
  if (rest.length > 0) {
    const left = Math.max(0, started + timeoutMs - Date.now());
    const done = await Promise.all(rest.map((step) => settledBefore(step, left, logger)));
    rest.forEach((step, i) => done[i] || abandoned.push(step.what));
  }
  if (abandoned.length > 0) {
    logger.warn(
      { abandoned, timeoutMs },
      `shutdown did not drain within ${timeoutMs} ms (SHUTDOWN_TIMEOUT_MS): abandoned ${abandoned.join(', ')}; uncommitted events will be redelivered and deduplicated, unrelayed outbox rows relayed after the restart`,
    );
  }
  return { drained: abandoned.length === 0, abandoned };
}

/** Whether `step` settled within `ms`; a failure counts as settled (and is logged). */
async function settledBefore(step: StopStep, ms: number, logger: Logger): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>(
    (resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, ms))),
  );
  const work = step.run().then(
    () => true as const,
    (err: unknown) => {
      logger.warn({ err: (err as Error).message, step: step.what }, 'error while stopping');
      return true as const;
    },
  );
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
