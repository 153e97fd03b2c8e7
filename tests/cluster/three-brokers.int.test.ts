// On a three-broker KRaft stack of its own: `stack:status` lists each node, Kafka's internal
// topics are replicated three times with min ISR 2, and every topic orderflow creates (each event
// topic and each DLQ, through topics:create's table) has 3 replicas and min.insync.replicas=2. A
// topic that already exists with less is reported by name and setting, and left as it is.
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { uniquePrefix } from '../support/platform';
import { startOwnStack, type OwnStack } from '../support/own-stack';
import { waitFor } from '../support/wait';
import { createTopics, plannedTopics, readTopicsConfig } from '../../scripts/topics';

const TOPIC = 2; // kafkajs ConfigResourceTypes
const BROKER = 4;

let stack: OwnStack;
let admin: Admin;

beforeAll(async () => {
  stack = await startOwnStack({ components: ['kafka'], brokers: 3 });
  const kafka = new Kafka({ brokers: stack.env.KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
}, 300_000);

afterAll(async () => {
  await admin?.disconnect();
  await stack?.destroy();
}, 120_000);

/** Each broker learns of a new topic on its own time: ask until the one asked knows it. */
const metadata = (topics: string[]) =>
  waitFor(() => admin.fetchTopicMetadata({ topics }).then((m) => m.topics), {
    what: `metadata of ${topics.length} topics`,
  });

async function minInsync(topics: string[]): Promise<Record<string, string>> {
  const { resources } = await waitFor(() =>
    admin.describeConfigs({
      includeSynonyms: false,
      resources: topics.map((name) => ({ type: TOPIC, name, configNames: ['min.insync.replicas'] })),
    }),
  );
  return Object.fromEntries(resources.map((r) => [r.resourceName, r.configEntries[0]!.configValue]));
}

test('stack:status lists each of the three nodes, and the internal topics get 3 replicas, min ISR 2', async () => {
  const kafka = (await stack.status()).filter((c) => c.name.startsWith('kafka'));
  expect(kafka.map((c) => [c.name, c.running, c.url])).toEqual(
    stack.nodes.map((n) => [n.key, true, `127.0.0.1:${n.port}`]),
  );
  expect(kafka.map((c) => c.name)).toEqual(['kafka-1', 'kafka-2', 'kafka-3']);
  // A node that missed its heartbeats on a loaded machine is fenced, and left out, for a while.
  const brokers = await waitFor(
    async () => {
      const { brokers: reported } = await admin.describeCluster();
      return reported.length === 3 ? reported : undefined;
    },
    { what: 'the cluster to report its three brokers' },
  );
  expect(brokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3]);
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [
      {
        type: BROKER,
        name: '1',
        configNames: [
          'offsets.topic.replication.factor',
          'transaction.state.log.replication.factor',
          'transaction.state.log.min.isr',
          'min.insync.replicas',
        ],
      },
    ],
  });
  const broker = Object.fromEntries(resources[0]!.configEntries.map((e) => [e.configName, e.configValue]));
  expect(broker).toEqual({
    'offsets.topic.replication.factor': '3',
    'transaction.state.log.replication.factor': '3',
    'transaction.state.log.min.isr': '2',
    'min.insync.replicas': '2',
  });
});

test('topics:create gives every event topic and DLQ 3 replicas and min.insync.replicas=2 by default', async () => {
  const prefix = uniquePrefix();
  const result = await createTopics(
    readTopicsConfig({ KAFKA_BROKERS: stack.env.KAFKA_BROKERS, TOPIC_PREFIX: prefix, LOG_LEVEL: 'warn' }),
  );
  const planned = plannedTopics(prefix).map((t) => t.topic);
  expect(result.replication).toEqual({ factor: 3, minInsync: 2 });
  expect(result.created.sort()).toEqual([...planned].sort());
  expect(planned.filter((t) => t.endsWith('.dlq'))).toHaveLength(5);
  const topics = await metadata(planned);
  for (const { name, partitions } of topics) {
    expect([name, new Set(partitions.map((p) => p.replicas.length))]).toEqual([name, new Set([3])]);
  }
  expect(Object.values(await minInsync(planned))).toEqual(planned.map(() => '2'));
});

test('a topic that exists with fewer replicas or a lower min ISR is named with the setting, not changed', async () => {
  const prefix = uniquePrefix();
  const weak = `${prefix}orders.events`;
  await admin.createTopics({
    waitForLeaders: false, // kafkajs's wait trips over a fresh topic's metadata; topics:create waits itself
    topics: [
      {
        topic: weak,
        numPartitions: 2,
        replicationFactor: 1,
        configEntries: [{ name: 'min.insync.replicas', value: '1' }],
      },
    ],
  });
  // Until every broker has heard of it, topics:create may ask one that has not (and then takes it
  // for missing, and its create is refused as existing): run it until it finds the topic.
  const result = await waitFor(
    async () => {
      const run = await createTopics(
        readTopicsConfig({ KAFKA_BROKERS: stack.env.KAFKA_BROKERS, TOPIC_PREFIX: prefix, LOG_LEVEL: 'warn' }),
      );
      return run.existed.includes(weak) && run;
    },
    { what: `topics:create to find ${weak}` },
  );
  expect(result.existed).toContain(weak);
  expect(result.warnings).toEqual([
    expect.stringMatching(
      new RegExp(
        `^topic ${weak} has 1 replica\\(s\\), fewer than the replication factor 3 \\(KAFKA_REPLICATION_FACTOR\\)`,
      ),
    ),
    expect.stringMatching(
      new RegExp(`^topic ${weak} has min.insync.replicas=1, lower than 2 \\(KAFKA_MIN_INSYNC_REPLICAS\\)`),
    ),
  ]);
  const topics = await metadata([weak]);
  expect(topics[0]!.partitions.map((p) => p.replicas.length)).toEqual([1, 1]);
  expect(await minInsync([weak])).toEqual({ [weak]: '1' });
});
