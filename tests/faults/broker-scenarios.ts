// The scenarios of the three-broker fleet (every topic 3 replicas, min.insync.replicas 2): the
// broker leading most partitions killed, a rolling restart of all three, and with two instances of
// every worker, a broker and then a billing instance killed. Intake must answer 201 throughout.
import { SERVICE_NAMES, platformTopics, topicOf } from '@orderflow/shared';
import { waitFor } from '../support/wait';
import { addInstance, type Fleet } from './fleet';
import { acceptedSince, DURING, type Scenario } from './run-scenario';

const log = (line: string) => console.log(`[faults ${new Date().toISOString().slice(11, 19)}] ${line}`);
/** Kafka's own offsets topic must be back in sync too before the next broker goes. */
const INTERNAL_TOPICS = ['__consumer_offsets'];
const WORKERS = SERVICE_NAMES.filter((s) => s !== 'orders');

/** The node leading the most partitions of orders.events and billing.events. */
async function busiestLeader(fleet: Fleet): Promise<string> {
  const admin = fleet.kafka.admin();
  await admin.connect();
  try {
    const topics = [topicOf('OrderCreated', fleet.prefix), topicOf('PaymentCaptured', fleet.prefix)];
    const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
    const led = new Map<number, number>();
    for (const t of metadata) for (const p of t.partitions) led.set(p.leader, (led.get(p.leader) ?? 0) + 1);
    const [leader, count] = [...led].sort((a, b) => b[1] - a[1])[0]!;
    log(
      `node ${leader} leads ${count} of ${metadata.reduce((n, t) => n + t.partitions.length, 0)} partitions`,
    );
    return fleet.stack.nodes.find((n) => n.id === leader)!.key;
  } finally {
    await admin.disconnect();
  }
}

/** Returns once every partition of the fleet's topics and Kafka's own has all its replicas in sync. */
async function fullyReplicated(fleet: Fleet, what: string): Promise<void> {
  const topics = [...platformTopics(fleet.prefix).map((t) => t.topic), ...INTERNAL_TOPICS];
  const admin = fleet.kafka.admin();
  await admin.connect();
  try {
    await waitFor(
      async () => {
        const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
        return metadata.every((t) => t.partitions.every((p) => p.isr.length === p.replicas.length));
      },
      { timeoutMs: 120_000, intervalMs: 500, what },
    );
  } finally {
    await admin.disconnect();
  }
}

export const THREE_BROKER_SCENARIOS: Scenario[] = [
  {
    key: 'broker-leader',
    name: 'kill -9 the busiest leader broker, restart',
    async inject(fleet, load) {
      const victim = await busiestLeader(fleet);
      await fleet.stack.stop(victim as `kafka-${number}`, 'SIGKILL');
      leaderKilled = victim;
      const downAt = Date.now();
      log(`${victim} killed (SIGKILL)`);
      await waitFor(() => acceptedSince(load, downAt) >= DURING, {
        timeoutMs: 60_000,
        what: `${DURING} orders accepted while ${victim} is down`,
      });
    },
    async heal(fleet) {
      if (leaderKilled) await fleet.stack.start(leaderKilled as `kafka-${number}`);
      await fullyReplicated(fleet, `${leaderKilled} back in sync`);
    },
  },
  {
    key: 'broker-rolling',
    name: 'rolling restart of the three brokers',
    async inject(fleet, load) {
      for (const node of fleet.stack.nodes) {
        const since = Date.now();
        await fleet.stack.stop(node.key as `kafka-${number}`);
        log(`${node.key} stopped (SIGTERM)`);
        await fleet.stack.start(node.key as `kafka-${number}`);
        await fullyReplicated(fleet, `${node.key} back in sync`);
        log(`${node.key} back in sync after ${((Date.now() - since) / 1000).toFixed(1)} s`);
        await waitFor(() => acceptedSince(load, since) >= 12, {
          timeoutMs: 30_000,
          what: `12 orders accepted around the restart of ${node.key}`,
        });
      }
    },
    async heal() {
      // Every broker is back already: the restart heals itself, one node at a time.
    },
  },
  {
    key: 'broker-instances',
    name: 'two instances of each worker: kill -9 a broker, then a billing instance',
    redelivers: true,
    async inject(fleet, load) {
      for (const worker of WORKERS) await addInstance(fleet, worker);
      log(`second instances of ${WORKERS.join(', ')} ready`);
      const broker = fleet.stack.nodes[1]!.key as `kafka-${number}`;
      await fleet.stack.stop(broker, 'SIGKILL');
      brokerKilled = broker;
      const downAt = Date.now();
      log(`${broker} killed (SIGKILL)`);
      await waitFor(() => acceptedSince(load, downAt) >= DURING / 2, {
        timeoutMs: 60_000,
        what: `${DURING / 2} orders accepted with ${broker} down`,
      });
      await fleet.services.billing.crashMidBatch();
      const killedAt = Date.now();
      log("billing (first instance) killed (SIGKILL) between a chunk's commit and its offsets' commit");
      await waitFor(() => acceptedSince(load, killedAt) >= DURING / 2, {
        timeoutMs: 60_000,
        what: `${DURING / 2} orders accepted with a broker and a billing instance down`,
      });
    },
    async heal(fleet) {
      if (brokerKilled) await fleet.stack.start(brokerKilled as `kafka-${number}`);
      fleet.services.billing.start();
      await fleet.services.billing.ready();
      await fullyReplicated(fleet, `${brokerKilled} back in sync`);
    },
  },
];
let leaderKilled: string | undefined;
let brokerKilled: string | undefined;
