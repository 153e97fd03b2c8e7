// One scenario on a fleet: a steady stream of orders, the fault injected and healed, every order
// of the scenario settled and reconciled, and the scenario's figures: orders, the longest gap in
// terminal events (stall), time to recover and redeliveries the inboxes absorbed.
import { schemaName } from '@orderflow/shared';
import type { RunningIssuer } from '../../scripts/auth/issuer';
import type { FaultProxy } from '../support/fault-proxy';
import type { OwnPostgres } from '../support/own-postgres';
import { waitFor } from '../support/wait';
import { absorbedBetween, duplicatesSkipped, type Fleet } from './fleet';
import { FAULTS_CUSTOMER, OrderLoad, type Outcome, type SentOrder } from './load';
import type { Verdict } from './reconcile';

const RATE_PER_SECOND = 12;
/** Orders the platform must accept before a fault, during it (where intake stays up) and after it. */
export const WARM_UP = 24;
export const DURING = 36;
const AFTER = 24;
/** The load's own bound: a rolling restart of three brokers under load takes about 150 s here. */
const SCENARIO_DEADLINE_MS = 300_000;
const SETTLE_DEADLINE_MS = 150_000;

/** What a scenario may touch besides its fleet. */
export interface Suite {
  proxy: FaultProxy;
  postgres: OwnPostgres;
  issuer: RunningIssuer;
  log: (line: string) => void;
}

export interface Scenario {
  name: string;
  key: string;
  /** Answers intake may give besides 201: 503 only where PostgreSQL is down, 'error' where orders is. */
  alsoAllowed?: (number | 'error' | 'timeout')[];
  /** Kills a consumer mid-batch: the inboxes must have absorbed redeliveries. */
  redelivers?: boolean;
  /** Injects the fault and returns once it has lasted long enough (a condition, not a time). */
  inject(fleet: Fleet, load: OrderLoad, suite: Suite): Promise<void>;
  heal(fleet: Fleet, load: OrderLoad, suite: Suite): Promise<void>;
  /** What the platform must have shown while the fault lasted; returns broken promises. */
  check?(fleet: Fleet, load: OrderLoad, marks: Marks): Promise<string[]> | string[];
}

export interface Marks {
  faultAt: number;
  healStart: number;
  healedAt: number;
}

export interface Row {
  scenario: string;
  stack: string;
  sent: number;
  accepted: number;
  terminal: number;
  lost: number;
  doubled: number;
  stallMs: number | undefined;
  recoverMs: number | undefined;
  absorbed: number;
  problems: string[];
  /** The last reconciliation of a fleet's whole run, not a scenario. */
  wholeRun?: boolean;
}

export const acceptedSince = (load: OrderLoad, since: number) =>
  load.accepted().filter((o) => o.answeredAt! >= since).length;

export async function scalar(fleet: Fleet, sql: string): Promise<number> {
  return Number((await fleet.pool.query(sql)).rows[0]?.n ?? 0);
}

export function outcomes(orders: SentOrder[]): Map<string, Outcome> {
  return new Map(orders.map((o) => [o.orderId, o.outcome]));
}

export async function runScenario(fleet: Fleet, scenario: Scenario, suite: Suite): Promise<Row> {
  const { log } = suite;
  const problems: string[] = [];
  for (const service of Object.values(fleet.services)) await service.ready(30_000);
  const duplicatesBefore = await duplicatesSkipped(fleet);
  const load = new OrderLoad({
    url: fleet.services.orders.url,
    perSecond: RATE_PER_SECOND,
    maxOrders: 3_600,
    maxMs: SCENARIO_DEADLINE_MS,
    authorization: `Bearer ${await suite.issuer.mint({ subject: FAULTS_CUSTOMER })}`,
  });
  if (scenario.key === 'registry') load.refundsAllowed = 0;
  load.start();
  let marks: Marks | undefined;
  let recovery: Promise<number | undefined> = Promise.resolve(undefined);
  try {
    await waitFor(() => load.accepted().length >= WARM_UP, {
      timeoutMs: 30_000,
      what: `${WARM_UP} orders accepted before the fault`,
    });
    const faultAt = Date.now();
    log(`${scenario.name}: injecting`);
    // A fault that did not go as planned is a failure, but it is healed all the same.
    await scenario
      .inject(fleet, load, suite)
      .catch((e: Error) => void problems.push(`during the fault: ${e.message}`));
    const healStart = Date.now();
    log(`${scenario.name}: healing`);
    const before = outcomes(load.accepted());
    await scenario.heal(fleet, load, suite);
    marks = { faultAt, healStart, healedAt: Date.now() };
    log(`${scenario.name}: healed in ${((marks.healedAt - healStart) / 1000).toFixed(1)} s`);
    // Recovered: every order accepted before healing has gone all the way through.
    recovery = waitFor(() => fleet.reconciler.settled(before), {
      timeoutMs: SETTLE_DEADLINE_MS,
      intervalMs: 250,
      what: 'orders accepted before healing to settle',
    }).then(
      () => Date.now() - healStart,
      (e: Error) => void problems.push(e.message),
    );
    const healedAt = marks.healedAt;
    await waitFor(() => acceptedSince(load, healedAt) >= AFTER, {
      timeoutMs: 60_000,
      what: `${AFTER} orders accepted after healing`,
    });
  } catch (e) {
    problems.push((e as Error).message);
  } finally {
    await load.stop();
  }
  const recoverMs = await recovery;

  const sent = load.sent;
  const accepted = load.accepted();
  const stored = await fleet.reconciler.stored(sent.map((o) => o.orderId));
  const all = outcomes(sent.filter((o) => accepted.includes(o) || stored.has(o.orderId)));
  for (const [id, outcome] of all) fleet.orders.set(id, outcome);
  await waitFor(() => fleet.reconciler.settled(all), {
    timeoutMs: SETTLE_DEADLINE_MS,
    intervalMs: 250,
    what: 'every order to settle',
  }).catch((e: Error) => problems.push(e.message));
  const verdict: Verdict = await fleet.reconciler.reconcile(all).catch((e: Error) => {
    problems.push(`reconciliation failed: ${e.message}`);
    return { orders: all.size, terminal: 0, lost: [], doubled: [], notes: [] };
  });
  problems.push(...answerProblems(sent, scenario));
  if (marks && scenario.check) problems.push(...(await scenario.check(fleet, load, marks)));
  problems.push(...verdict.notes);
  for (const line of [
    ...verdict.lost.slice(0, 5).map((l) => `lost ${l}`),
    ...verdict.doubled.slice(0, 5).map((l) => `doubled ${l}`),
  ])
    problems.push(line);
  const absorbed = absorbedBetween(duplicatesBefore, await duplicatesSkipped(fleet));
  if (scenario.redelivers && absorbed === 0)
    problems.push('a consumer was killed mid-batch, yet no redelivered event was absorbed by an inbox');
  const stallMs = await longestTerminalGap(fleet, [...all.keys()]);
  log(
    `${scenario.name}: ${sent.length} sent, ${accepted.length} accepted, ${verdict.terminal}/${verdict.orders} terminal, ${absorbed} redeliveries absorbed`,
  );
  return {
    scenario: scenario.name,
    stack: fleet.label,
    sent: sent.length,
    accepted: accepted.length,
    terminal: verdict.terminal,
    lost: verdict.lost.length,
    doubled: verdict.doubled.length,
    stallMs,
    recoverMs,
    absorbed,
    problems,
  };
}

/** Every answer must be 201 or one the scenario allows; a 503 must carry the service's JSON error. */
function answerProblems(sent: SentOrder[], scenario: Scenario): string[] {
  const allowed = new Set<SentOrder['status']>([201, ...(scenario.alsoAllowed ?? [])]);
  const counts = new Map<string, number>();
  for (const o of sent) counts.set(String(o.status), (counts.get(String(o.status)) ?? 0) + 1);
  const problems: string[] = [];
  const odd = sent.filter((o) => !allowed.has(o.status));
  if (odd.length > 0) {
    const tally = new Map<string, number>();
    for (const o of odd) tally.set(String(o.status), (tally.get(String(o.status)) ?? 0) + 1);
    problems.push(
      `intake answered ${[...tally].map(([s, n]) => `${s} ×${n}`).join(', ')}; this scenario allows only ${[...allowed].join(', ')}`,
    );
  }
  const badBodies = sent.filter((o) => o.status === 503 && !isUnavailableBody(o.body));
  if (badBodies.length > 0)
    problems.push(
      `${badBodies.length} answers 503 without {"error":{"code":"UNAVAILABLE","message":…}}, e.g. ${JSON.stringify(badBodies[0]!.body)}`,
    );
  return problems;
}

function isUnavailableBody(body: unknown): boolean {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  return error?.code === 'UNAVAILABLE' && typeof error.message === 'string' && error.message.length > 0;
}

/** The longest time between two consecutive terminal events (shipped, declined, refunded) of these orders. */
async function longestTerminalGap(fleet: Fleet, orderIds: string[]): Promise<number | undefined> {
  const { rows } = await fleet.pool.query<{ gap: number | null }>(
    `SELECT max(gap) AS gap FROM (
       SELECT extract(epoch FROM occurred_at - lag(occurred_at) OVER (ORDER BY occurred_at)) * 1000 AS gap
       FROM ${schemaName('orders', fleet.prefix)}.order_events
       WHERE order_id = ANY($1) AND event_type IN ('ShippingScheduled', 'PaymentDeclined', 'PaymentRefunded')) g`,
    [orderIds],
  );
  const gap = rows[0]?.gap;
  return gap === null || gap === undefined ? undefined : Number(gap);
}
