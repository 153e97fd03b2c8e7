// A bounded stop: the steps of a service's shutdown run in order (intake first, the database
// last), but never longer than SHUTDOWN_TIMEOUT_MS in all. A step that fails, or is still waiting
// at the deadline (a Kafka client retrying a broker that is gone, a pool waiting for a dead
// server), is abandoned work and named in the log; uncommitted events are redelivered after the
// restart and deduplicated by the inbox, and unrelayed outbox rows are relayed then.
import type { Logger } from './logger';

export interface StopStep {
  /** What the step stops, as the log names it when abandoned. */
  what: string;
  run: () => Promise<unknown>;
}

export interface StopOutcome {
  /** true: every step finished in time, without an error. */
  drained: boolean;
  /** The steps that failed or had not finished by the deadline, each with why. */
  abandoned: string[];
}

/** Steps left when the deadline passes get this long, side by side, before they are abandoned. */
const LAST_CHANCE_SHARE = 0.1;

type StepEnd = { ok: true } | { ok: false; why: string };

export async function stopWithin(steps: StopStep[], timeoutMs: number, logger: Logger): Promise<StopOutcome> {
  const started = Date.now();
  const sequentialUntil = started + timeoutMs * (1 - LAST_CHANCE_SHARE);
  const abandoned: string[] = [];
  const note = (step: StopStep, end: StepEnd) => end.ok || abandoned.push(`${step.what} (${end.why})`);
  let next = 0;
  for (; next < steps.length; next++) {
    const step = steps[next]!;
    const end = await endBefore(step, sequentialUntil - Date.now());
    note(step, end);
    // A step that timed out used the sequential share up: the rest get the last chance together.
    if (!end.ok && end.why === TIMED_OUT) {
      next++;
      break;
    }
  }
  const rest = steps.slice(next);
  if (rest.length > 0) {
    const left = Math.max(0, started + timeoutMs - Date.now());
    const ends = await Promise.all(rest.map((step) => endBefore(step, left)));
    rest.forEach((step, i) => note(step, ends[i]!));
  }
  if (abandoned.length > 0) {
    logger.warn(
      { abandoned, timeoutMs },
      `shutdown abandoned work (SHUTDOWN_TIMEOUT_MS ${timeoutMs}): ${abandoned.join(', ')}; uncommitted events will be redelivered and deduplicated, unrelayed outbox rows relayed after the restart`,
    );
  }
  return { drained: abandoned.length === 0, abandoned };
}

const TIMED_OUT = 'timed out';

/** How `step` ended within `ms`: finished, failed (with its error) or timed out. */
async function endBefore(step: StopStep, ms: number): Promise<StepEnd> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<StepEnd>(
    (resolve) => (timer = setTimeout(() => resolve({ ok: false, why: TIMED_OUT }), Math.max(0, ms))),
  );
  const work = step.run().then(
    (): StepEnd => ({ ok: true }),
    (err: unknown): StepEnd => ({ ok: false, why: `failed: ${(err as Error).message ?? err}` }),
  );
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
