// The scenarios of the one-broker fleet: a dependency restarted or killed (the registry, in
// registry-scenario.ts; Kafka; PostgreSQL cut or crashed), a service killed mid-batch or
// mid-load, a slow instance forcing rebalances. Each says which answers besides 201 it allows
// and whether it must see redeliveries.
import { freePort } from '../support/own-stack';
import { ServiceProcess } from '../support/service-process';
import { waitFor } from '../support/wait';
import { groupOf, schemaName, type ServiceName } from '@orderflow/shared';
import { REGISTRY_SCENARIO } from './registry-scenario';
import { acceptedSince, DURING, scalar, type Scenario } from './run-scenario';

const log = (line: string) => console.log(`[faults ${new Date().toISOString().slice(11, 19)}] ${line}`);
let slowBilling: ServiceProcess | undefined;
let slowExit: number | null = null;

function killWorker(service: ServiceName): Scenario {
  return {
    key: service,
    name: `kill -9 ${service} mid-batch, restart`,
    redelivers: true,
    async inject(fleet, load) {
      const inbox = `SELECT count(*)::int AS n FROM ${schemaName(service, fleet.prefix)}.inbox`;
      const before = await scalar(fleet, inbox);
      await waitFor(async () => (await scalar(fleet, inbox)) >= before + 10, {
        timeoutMs: 60_000,
        what: `${service} to be handling events`,
      });
      await fleet.services[service].crashMidBatch();
      const killedAt = Date.now();
      log(`${service} killed (SIGKILL) between a chunk's commit and its offsets' commit`);
      await waitFor(() => acceptedSince(load, killedAt) >= DURING, {
        timeoutMs: 60_000,
        what: `${DURING} orders accepted while ${service} is dead`,
      });
    },
    async heal(fleet) {
      fleet.services[service].start();
      await fleet.services[service].ready();
    },
  };
}

export const ONE_BROKER_SCENARIOS: Scenario[] = [
  REGISTRY_SCENARIO,
  {
    key: 'kafka',
    name: 'kill -9 the Kafka broker, restart',
    async inject(fleet, load) {
      await fleet.stack.stop('kafka', 'SIGKILL');
      const downAt = Date.now();
      log('Kafka killed (SIGKILL)');
      await waitFor(() => acceptedSince(load, downAt) >= DURING, {
        timeoutMs: 60_000,
        what: `${DURING} orders accepted while Kafka is down`,
      });
    },
    async heal(fleet) {
      await fleet.stack.start('kafka');
    },
  },
  killWorker('billing'),
  killWorker('inventory'),
  killWorker('shipping'),
  killWorker('notifications'),
  {
    key: 'postgres',
    name: 'cut and refuse PostgreSQL connections',
    alsoAllowed: [503],
    async inject(fleet, load, { proxy }) {
      await proxy.refuse();
      const downAt = Date.now();
      log('PostgreSQL connections cut; new ones refused');
      await waitFor(() => load.answered((o) => o.status === 503 && o.sentAt >= downAt) >= DURING, {
        timeoutMs: 60_000,
        what: `intake to answer 503 ${DURING} times while PostgreSQL is unreachable`,
      });
    },
    async heal(_fleet, _load, { proxy }) {
      await proxy.open();
    },
    check(_fleet, load, marks) {
      const problems: string[] = [];
      const unavailable = load.sent.filter((o) => o.status === 503).length;
      if (unavailable === 0) problems.push('intake never answered 503 while PostgreSQL was unreachable');
      const after = load.accepted().filter((o) => o.sentAt >= marks.healedAt).length;
      if (after === 0) problems.push('intake did not accept orders again after PostgreSQL came back');
      return problems;
    },
  },
  {
    key: 'rebalance',
    name: 'slow billing instance forces rebalances',
    async inject(fleet, load) {
      // A second billing instance whose every chunk takes longer than its session timeout: the
      // group expels it mid-transaction, hands its partitions over, and it rejoins, again and again.
      const slow = new ServiceProcess(
        'billing',
        await freePort(),
        { ...fleet.env, ORDERFLOW_TEST_HANDLER_DELAY_MS: '8000', KAFKA_SESSION_TIMEOUT_MS: '6000' },
        fleet.logDir,
        '-slow',
      );
      slowBilling = slow;
      slow.start();
      await slow.ready();
      const since = Date.now();
      const admin = fleet.kafka.admin();
      await admin.connect();
      const members = new Set<string>();
      try {
        await waitFor(
          async () => {
            const { groups } = await admin.describeGroups([groupOf('billing', fleet.prefix)]);
            for (const m of groups[0]?.members ?? []) members.add(m.memberId);
            return members.size >= 4 && acceptedSince(load, since) >= DURING;
          },
          { timeoutMs: 90_000, intervalMs: 250, what: 'the slow instance to be expelled and rejoin twice' },
        );
      } finally {
        await admin.disconnect();
      }
      log(`billing group saw ${members.size} member ids`);
    },
    async heal() {
      slowExit = await slowBilling!.stop();
    },
    check() {
      // Its last chunk may be abandoned at SIGTERM (exit 1, redelivered); it must not hang to the SIGKILL.
      return slowExit === null ? ['the slow billing instance did not exit on SIGTERM; it was killed'] : [];
    },
  },
  {
    key: 'orders',
    name: 'kill -9 orders mid-load, restart',
    // Requests in flight at the kill and sent while it is down get no answer.
    alsoAllowed: ['error', 'timeout'],
    async inject(fleet, load) {
      await fleet.services.orders.kill();
      const killedAt = Date.now();
      log('orders killed (SIGKILL)');
      // Everything answered 201 before the kill is in PostgreSQL: the order row and its outbox row.
      const answered = load.accepted().filter((o) => o.answeredAt! <= killedAt);
      const stored = await fleet.reconciler.stored(answered.map((o) => o.orderId));
      const missing = answered.filter((o) => !stored.has(o.orderId));
      if (missing.length > 0)
        throw new Error(
          `${missing.length} orders answered 201 before the kill are not stored, e.g. ${missing[0]!.orderId}`,
        );
      await waitFor(
        () => load.sent.filter((o) => o.sentAt >= killedAt && o.status !== undefined).length >= 12,
        {
          timeoutMs: 30_000,
          what: '12 orders sent to the dead orders service',
        },
      );
    },
    async heal(fleet) {
      fleet.services.orders.start();
      await fleet.services.orders.ready();
    },
    check(_fleet, load, marks) {
      const refused = load.sent.filter(
        (o) => o.sentAt >= marks.faultAt && o.sentAt < marks.healStart && o.status === 'error',
      ).length;
      return refused === 0 ? ['no order was refused while orders was dead: the kill was not felt'] : [];
    },
  },
  {
    key: 'postgres-crash',
    name: "kill -9 PostgreSQL (the suite's own), restart",
    alsoAllowed: [503],
    async inject(_fleet, load, { postgres }) {
      await postgres.kill();
      const downAt = Date.now();
      log('PostgreSQL killed (SIGKILL to the server and its backends)');
      await waitFor(() => load.answered((o) => o.status === 503 && o.sentAt >= downAt) >= 12, {
        timeoutMs: 60_000,
        what: 'intake to answer 503 12 times while PostgreSQL is dead',
      });
    },
    async heal(_fleet, _load, { postgres }) {
      await postgres.start(); // crash recovery: WAL replay before it answers
    },
    check(_fleet, load, marks) {
      const after = load.accepted().filter((o) => o.sentAt >= marks.healedAt).length;
      return after === 0 ? ['intake did not accept orders again after PostgreSQL restarted'] : [];
    },
  },
];
