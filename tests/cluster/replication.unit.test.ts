// Replication of the topics orderflow creates: defaults from the cluster's size, and every bad
// combination refused with a message naming the setting.
import { ConfigError, brokersReported, loadServiceConfig, replicationFor } from '@orderflow/shared';
import { brokersOf, kafkaNodes } from '../../scripts/stack/cluster';
import { readSettings } from '../../scripts/stack/settings';

const problemsOf = (source: Record<string, string>): string[] => {
  try {
    loadServiceConfig('x', 1, {}, source);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
};

test.each([
  [1, { factor: 1, minInsync: 1 }],
  [2, { factor: 2, minInsync: 1 }],
  [3, { factor: 3, minInsync: 2 }],
  [5, { factor: 3, minInsync: 2 }],
])('with nothing set, %i broker(s) give %o', (brokers, expected) => {
  expect(replicationFor({}, brokers)).toEqual(expected);
});

test('a configured factor sets the default min ISR to one less; a configured min ISR is kept', () => {
  expect(replicationFor({ factor: 2 }, 3)).toEqual({ factor: 2, minInsync: 1 });
  expect(replicationFor({ factor: 3, minInsync: 3 }, 5)).toEqual({ factor: 3, minInsync: 3 });
  expect(replicationFor({ minInsync: 1 }, 3)).toEqual({ factor: 3, minInsync: 1 });
});

test('more replicas than brokers, or a min ISR above the factor, is refused by name', () => {
  expect(() => replicationFor({ factor: 3 }, 1)).toThrow(
    'KAFKA_REPLICATION_FACTOR=3 needs 3 brokers; the cluster reports 1',
  );
  expect(() => replicationFor({ minInsync: 2 }, 1)).toThrow(/KAFKA_MIN_INSYNC_REPLICAS=2 is more than/);
});

test('the config reader passes both settings on and refuses bad values, all at once', () => {
  const config = loadServiceConfig(
    'x',
    1,
    {},
    { KAFKA_REPLICATION_FACTOR: '3', KAFKA_MIN_INSYNC_REPLICAS: '2' },
  );
  expect(config.kafka.replication).toEqual({ factor: 3, minInsync: 2 });
  expect(loadServiceConfig('x', 1, {}, {}).kafka.replication).toEqual({
    factor: undefined,
    minInsync: undefined,
  });
  expect(problemsOf({ KAFKA_REPLICATION_FACTOR: 'three', KAFKA_MIN_INSYNC_REPLICAS: '0' })).toEqual([
    'KAFKA_REPLICATION_FACTOR must be a whole number from 1 to 32, got "three"',
    'KAFKA_MIN_INSYNC_REPLICAS must be a whole number from 1 to 32, got "0"',
  ]);
  expect(problemsOf({ KAFKA_REPLICATION_FACTOR: '2', KAFKA_MIN_INSYNC_REPLICAS: '3' })).toEqual([
    'KAFKA_MIN_INSYNC_REPLICAS=3 is more than KAFKA_REPLICATION_FACTOR=2: no write could ever succeed',
  ]);
});

describe("the stack's Kafka nodes", () => {
  const kafka = readSettings({}).kafka;

  test("one broker keeps the single node's ports, log and data dir", () => {
    const [node, ...rest] = kafkaNodes(kafka, 1);
    expect(rest).toEqual([]);
    expect(node).toMatchObject({
      key: 'kafka',
      id: 1,
      port: 9092,
      controllerPort: 9093,
      voters: '1@127.0.0.1:9093',
    });
    expect(node!.logFile).toMatch(/logs\/kafka\.log$/);
  });

  test('three nodes: brokers on 9092-9094, controllers of their own, one voter each, own logs and data', () => {
    const nodes = kafkaNodes(kafka, 3);
    expect(nodes.map((n) => [n.key, n.port, n.controllerPort])).toEqual([
      ['kafka-1', 9092, 9095],
      ['kafka-2', 9093, 9096],
      ['kafka-3', 9094, 9097],
    ]);
    expect(new Set(nodes.map((n) => n.voters))).toEqual(
      new Set(['1@127.0.0.1:9095,2@127.0.0.1:9096,3@127.0.0.1:9097']),
    );
    expect(nodes.map((n) => n.logFile.split('/').pop())).toEqual([
      'kafka-1.log',
      'kafka-2.log',
      'kafka-3.log',
    ]);
    expect(new Set(nodes.map((n) => n.dataDir)).size).toBe(3);
    expect(new Set(nodes.map((n) => n.serverProperties)).size).toBe(3);
    expect(brokersOf(nodes)).toBe('127.0.0.1:9092,127.0.0.1:9093,127.0.0.1:9094');
  });
});

describe('brokersReported: the broker count the default factor is taken from', () => {
  /** A cluster that reports these counts, one per question, then the last one again. */
  const answers = (...counts: number[]) => {
    let asked = 0;
    return { describe: async () => counts[Math.min(asked++, counts.length - 1)]!, asked: () => asked };
  };

  it("is the cluster's answer at once when it reports every broker KAFKA_BROKERS names", async () => {
    const cluster = answers(3);
    const warnings: string[] = [];
    expect(await brokersReported(cluster.describe, { named: 3, warn: (m) => warnings.push(m) })).toBe(3);
    expect(cluster.asked()).toBe(1);
    expect(warnings).toEqual([]);
  });

  it('asks again while a named broker is missing (fenced for a while), and takes the full count', async () => {
    const cluster = answers(2, 2, 3);
    const warnings: string[] = [];
    const count = await brokersReported(cluster.describe, {
      named: 3,
      warn: (m) => warnings.push(m),
      intervalMs: 1,
    });
    expect(count).toBe(3);
    expect(cluster.asked()).toBe(3);
    expect(warnings).toEqual([]);
  });

  it('gives up after its wait, warns with both counts and goes on with what the cluster reports', async () => {
    const cluster = answers(2);
    const warnings: string[] = [];
    const count = await brokersReported(cluster.describe, {
      named: 3,
      warn: (m) => warnings.push(m),
      waitMs: 20,
      intervalMs: 1,
    });
    expect(count).toBe(2);
    expect(warnings).toEqual([
      'the cluster reports 2 broker(s) of the 3 KAFKA_BROKERS names (the others down or fenced): the default replication factor counts 2',
    ]);
  });
});
