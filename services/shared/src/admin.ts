// Topic creation from the one topic table; used by `npm run topics:create`, by services at
// startup (for the topics they touch) and by tests (under their own prefix). Replication comes
// from configuration (KAFKA_REPLICATION_FACTOR, KAFKA_MIN_INSYNC_REPLICAS) or the cluster's size.
import type { Admin, Kafka } from 'kafkajs';
import { setTimeout as pause } from 'node:timers/promises';
import type { ReplicationWanted } from './config';
import {
  SERVICES,
  SERVICE_NAMES,
  TOPIC_DEFAULTS,
  dlqTopicOf,
  topicsOfService,
  type ServiceName,
} from './topics';

const LEADERS_TIMEOUT_MS = 30_000;
/** kafkajs's ConfigResourceTypes.TOPIC (its enum is not exported as a value under every build). */
const TOPIC_RESOURCE = 2;

export interface TopicSpec {
  topic: string;
  partitions?: number;
}

export interface Replication {
  factor: number;
  minInsync: number;
}

/**
 * What configuration asks for, with defaults from the cluster: the smaller of 3 and the brokers
 * it reports, and min ISR one less than that (at least 1), so one broker may be lost without
 * losing a write or refusing one.
 */
export function replicationFor(wanted: ReplicationWanted, brokers: number): Replication {
  const factor = wanted.factor ?? Math.min(3, brokers);
  if (factor > brokers) {
    throw new Error(
      `KAFKA_REPLICATION_FACTOR=${factor} needs ${factor} brokers; the cluster reports ${brokers}`,
    );
  }
  const minInsync = wanted.minInsync ?? Math.max(1, factor - 1);
  if (minInsync > factor) {
    throw new Error(`KAFKA_MIN_INSYNC_REPLICAS=${minInsync} is more than the replication factor ${factor}`);
  }
  return { factor, minInsync };
}

export interface EnsureOptions {
  replication?: ReplicationWanted;
  /** How many brokers KAFKA_BROKERS names: the default factor waits for the cluster to report them. */
  namedBrokers?: number;
  /** Where a topic that exists with less replication than configured is reported. */
  warn?: (message: string) => void;
}

export interface Ensured {
  created: string[];
  replication: Replication;
  /** One line per existing topic and setting below what is configured; nothing is changed. */
  warnings: string[];
}

/** Creates the topics that do not exist yet; returns the names it created. */
export async function ensureTopics(
  kafka: Kafka,
  specs: TopicSpec[],
  options: EnsureOptions = {},
): Promise<string[]> {
  return (await ensureTopicsReport(kafka, specs, options)).created;
}

/** Creates the topics that do not exist yet with the configured replication, and warns (never
 * recreates) where an existing topic has fewer replicas or a lower min.insync.replicas. */
export async function ensureTopicsReport(
  kafka: Kafka,
  specs: TopicSpec[],
  options: EnsureOptions = {},
): Promise<Ensured> {
  const warn = options.warn ?? ((message: string) => console.warn(message));
  const admin = kafka.admin();
  await admin.connect();
  try {
    const clusterWarnings: string[] = [];
    const brokers =
      options.replication?.factor === undefined
        ? await brokersReported(() => admin.describeCluster().then((c) => c.brokers.length), {
            named: options.namedBrokers ?? 1,
            warn: (message) => clusterWarnings.push(message),
          })
        : (await admin.describeCluster()).brokers.length;
    const replication = replicationFor(options.replication ?? {}, brokers);
    const existing = new Set(await admin.listTopics());
    const unique = [...new Map(specs.map((s) => [s.topic, s])).values()];
    const missing = unique.filter((s) => !existing.has(s.topic));
    // kafkajs's own waitForLeaders gives up when a new topic's metadata briefly answers
    // UNKNOWN_TOPIC_OR_PARTITION (seen on a freshly started broker); wait for leaders here.
    const madeNow =
      missing.length > 0 &&
      (await admin.createTopics({
        waitForLeaders: false,
        topics: missing.map(({ topic, partitions = TOPIC_DEFAULTS.partitions }) => ({
          topic,
          numPartitions: partitions,
          replicationFactor: replication.factor,
          configEntries: [
            { name: 'retention.ms', value: String(TOPIC_DEFAULTS.retentionMs) },
            { name: 'min.insync.replicas', value: String(replication.minInsync) },
          ],
        })),
      }));
    // false: another client created them first (the broker asked for the list had not heard yet).
    const created = madeNow ? missing.map((s) => s.topic) : [];
    const present = unique.map((s) => s.topic).filter((topic) => !created.includes(topic));
    const warnings = [...clusterWarnings, ...(await shortfalls(admin, present, replication))];
    for (const warning of warnings) warn(warning);
    if (created.length > 0) await waitForLeaders(admin, created);
    return { created, replication, warnings };
  } finally {
    await admin.disconnect();
  }
}

/**
 * How many brokers the cluster reports, for the default replication factor. A broker that missed
 * its heartbeats to the controller (a loaded machine) is fenced and left out of the cluster's
 * answer for a while, and a topic created then would keep one replica too few for good: so while
 * the cluster reports fewer brokers than KAFKA_BROKERS names, ask again, up to `waitMs`, then
 * warn and go on with what it reports.
 */
export async function brokersReported(
  describe: () => Promise<number>,
  options: { named: number; warn: (message: string) => void; waitMs?: number; intervalMs?: number },
): Promise<number> {
  const { named, warn, waitMs = 20_000, intervalMs = 250 } = options;
  const deadline = Date.now() + waitMs;
  for (;;) {
    const reported = await describe();
    if (reported >= named) return reported;
    if (Date.now() >= deadline) {
      warn(
        `the cluster reports ${reported} broker(s) of the ${named} KAFKA_BROKERS names (the others down or fenced): the default replication factor counts ${reported}`,
      );
      return reported;
    }
    await pause(intervalMs);
  }
}

/** Existing topics with fewer replicas or a lower min.insync.replicas than `want`. */
async function shortfalls(admin: Admin, topics: string[], want: Replication): Promise<string[]> {
  if (topics.length === 0) return [];
  const warnings: string[] = [];
  const metadata = (await retrying(() => admin.fetchTopicMetadata({ topics }))).topics;
  for (const { name, partitions } of metadata) {
    const replicas = Math.min(...partitions.map((p) => p.replicas.length));
    if (replicas < want.factor) {
      warnings.push(
        `topic ${name} has ${replicas} replica(s), fewer than the replication factor ${want.factor} (KAFKA_REPLICATION_FACTOR): left as it is; add replicas with kafka-reassign-partitions`,
      );
    }
  }
  const { resources } = await retrying(() =>
    admin.describeConfigs({
      includeSynonyms: false,
      resources: topics.map((name) => ({
        type: TOPIC_RESOURCE,
        name,
        configNames: ['min.insync.replicas'],
      })),
    }),
  );
  for (const { resourceName, configEntries } of resources) {
    const value = Number(configEntries.find((e) => e.configName === 'min.insync.replicas')?.configValue);
    if (value < want.minInsync) {
      warnings.push(
        `topic ${resourceName} has min.insync.replicas=${value}, lower than ${want.minInsync} (KAFKA_MIN_INSYNC_REPLICAS): left as it is; raise it with kafka-configs --alter --add-config min.insync.replicas=${want.minInsync}`,
      );
    }
  }
  return warnings;
}

/** Asks again while a broker briefly does not know a topic that was just created (by another
 * client, through another broker): a cluster's brokers learn of new topics one by one. */
async function retrying<T>(ask: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + LEADERS_TIMEOUT_MS;
  for (;;) {
    try {
      return await ask();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await pause(100);
    }
  }
}

async function waitForLeaders(admin: Admin, topics: string[]): Promise<void> {
  const deadline = Date.now() + LEADERS_TIMEOUT_MS;
  for (;;) {
    const led = await admin.fetchTopicMetadata({ topics }).then(
      ({ topics: found }) =>
        found.length === topics.length &&
        found.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)),
      () => false, // not known yet: ask again
    );
    if (led) return;
    if (Date.now() > deadline)
      throw new Error(`no leader for topics ${topics.join(', ')} after ${LEADERS_TIMEOUT_MS} ms`);
    await pause(100);
  }
}

/** Every event topic plus the DLQ of every consumer group, under a prefix. */
export function platformTopics(prefix = '', consumerGroups: string[] = []): TopicSpec[] {
  return [
    ...SERVICE_NAMES.map((service) => ({ topic: prefix + SERVICES[service].topic })),
    ...consumerGroups.map((group) => ({ topic: dlqTopicOf(group), partitions: 1 })),
  ];
}

/** The topics one service touches (its startup creates what is missing of these, and no others,
 * so a principal limited to them by ACLs can start). */
export function serviceTopics(service: ServiceName, prefix = ''): TopicSpec[] {
  const { writes, reads, group } = topicsOfService(service, prefix);
  const dlq = group && dlqTopicOf(group);
  return [...writes, ...reads].map((topic) => (topic === dlq ? { topic, partitions: 1 } : { topic }));
}
