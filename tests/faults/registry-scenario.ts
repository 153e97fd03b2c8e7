// The registry scenario: the schema registry stopped and restarted under load. Services keep
// working from their schema caches; a message whose schema nobody has cached (a refund's
// InventoryInsufficient) holds up only its own partition until the registry returns, so orders
// on the other partitions still finish meanwhile; then every order reconciles.
import { schemaName } from '@orderflow/shared';
import { waitFor } from '../support/wait';
import { acceptedSince, DURING, scalar, type Scenario } from './run-scenario';

const log = (line: string) => console.log(`[faults ${new Date().toISOString().slice(11, 19)}] ${line}`);
/** Orders that must finish while a partition is held for the registry. */
const WHILE_HELD = 10;
/** Billing's retries of the held message over which they are counted (each a lookup, then a backoff). */
const RETRIES_WHILE_HELD = 3;

/** A counter of a service's, summed over the label sets that match `labels` (e.g. `outcome="error"`). */
async function counter(serviceUrl: string, name: string, labels: string): Promise<number> {
  const text = await fetch(`${serviceUrl}/metrics`).then((r) => r.text());
  const line = new RegExp(`^${name}\\{[^}]*${labels}[^}]*\\} (\\d+)`, 'gm');
  return [...text.matchAll(line)].reduce((sum, m) => sum + Number(m[1]), 0);
}

/** A service's registry calls so far with `outcome` (ok, error), from its metrics. */
const registryCalls = (serviceUrl: string, outcome: string) =>
  counter(serviceUrl, 'orderflow_registry_calls_total', `outcome="${outcome}"`);

/** What the scenario measured, for its check and the log. */
const held = { finished: 0, decodeRetries: 0 };

export const REGISTRY_SCENARIO: Scenario = {
  key: 'registry',
  name: 'restart the schema registry',
  async inject(fleet, load) {
    // Refunds hold back three record types until the registry is gone: their schemas can only
    // be fetched after it returns, while everything else runs from the services' caches.
    const o = schemaName('orders', fleet.prefix);
    const terminal = `SELECT count(*)::int AS n FROM ${o}.orders WHERE status IN ('SHIPPED', 'DECLINED', 'REFUNDED')`;
    // Caches are warm once shipped and declined orders went all the way: every consumer has
    // then decoded every record type of those paths at least once.
    const warm = `SELECT count(*) FILTER (WHERE o.status = 'SHIPPED' AND e.n >= 6) >= 3 AND count(*) FILTER (WHERE o.status = 'DECLINED' AND e.n >= 3) >= 2 AS warm
        FROM ${o}.orders o JOIN (SELECT order_id, count(*) AS n FROM ${o}.order_events GROUP BY 1) e USING (order_id)`;
    await waitFor(async () => (await fleet.pool.query<{ warm: boolean }>(warm)).rows[0]?.warm === true, {
      timeoutMs: 60_000,
      what: 'shipped and declined orders (emails included) to warm the schema caches',
    });
    await fleet.stack.stop('registry');
    const downAt = Date.now();
    const before = await scalar(fleet, terminal);
    log('registry stopped');
    await waitFor(
      async () => acceptedSince(load, downAt) >= DURING && (await scalar(fleet, terminal)) >= before + 10,
      {
        timeoutMs: 60_000,
        what: `${DURING} orders accepted and 10 orders finished from schema caches while the registry is down`,
      },
    );
    // Only then one refund: its InventoryInsufficient has a schema id no consumer has seen, on one
    // partition of inventory.events. Billing and orders both read it; each holds that partition
    // alone (paused, retried after a backoff) and goes on with every other one.
    load.refundsAllowed = 1;
    const { billing, orders } = fleet.services;
    await waitFor(
      async () =>
        (await registryCalls(billing.url, 'error')) > 0 && (await registryCalls(orders.url, 'error')) > 0,
      { timeoutMs: 60_000, what: 'billing and orders to fail looking up the schema of the refund' },
    );
    const heldAt = Date.now();
    const atHold = await scalar(fleet, terminal);
    const decodeRetries = () => counter(billing.url, 'orderflow_retries_total', 'event_type="decode"');
    const retriesAtHold = await decodeRetries();
    // Counted over several of billing's retries of the held message: the outage went on meanwhile.
    try {
      await waitFor(
        async () =>
          (await decodeRetries()) >= retriesAtHold + RETRIES_WHILE_HELD &&
          (await scalar(fleet, terminal)) >= atHold + WHILE_HELD,
        {
          timeoutMs: 60_000,
          what: `${WHILE_HELD} orders to finish while billing and orders hold the refund's partition for the registry`,
        },
      );
    } finally {
      held.finished = (await scalar(fleet, terminal)) - atHold;
      held.decodeRetries = (await decodeRetries()) - retriesAtHold;
      log(
        `${held.finished} orders finished in ${((Date.now() - heldAt) / 1000).toFixed(1)} s while the refund's partition was held; billing retried decoding it ${held.decodeRetries} more times meanwhile`,
      );
    }
  },
  async heal(fleet) {
    await fleet.stack.start('registry');
  },
  async check(fleet, load, marks) {
    const problems: string[] = [];
    const refunds = load.accepted().filter((o) => o.outcome === 'REFUNDED');
    if (refunds.length !== 1 || refunds[0]!.sentAt >= marks.healStart)
      problems.push(
        `expected one refund order (new schemas) sent while the registry was down, got ${refunds.length}`,
      );
    if (held.finished < WHILE_HELD)
      problems.push(`only ${held.finished} orders finished while the refund's partition was held`);
    // The held partition was retried: paused, resumed after its backoff, held again.
    if (held.decodeRetries < RETRIES_WHILE_HELD)
      problems.push(
        `billing retried the refund's decoding ${held.decodeRetries} times while the registry was down`,
      );
    // Billing met InventoryInsufficient while the registry was gone: its lookup failed then, and
    // succeeded once the registry was back.
    const calls = (outcome: string) => registryCalls(fleet.services.billing.url, outcome);
    if ((await calls('error')) === 0)
      problems.push('billing never failed a schema lookup: the registry outage was not felt');
    if ((await calls('ok')) === 0)
      problems.push('billing never fetched a new schema after the registry came back');
    return problems;
  },
};
