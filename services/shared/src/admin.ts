// Topic creation from the one topic table; used by `npm run topics:create`, by services at
// startup (for the topics they touch) and by tests (under their own prefix).
import type { Admin, Kafka } from 'kafkajs';
import { setTimeout as pause } from 'node:timers/promises';
import { SERVICES, SERVICE_NAMES, TOPIC_DEFAULTS, dlqTopicOf } from './topics';

const LEADERS_TIMEOUT_MS = 30_000;

export interface TopicSpec {
  topic: string;
  partitions?: number;
}

/** Creates the topics that do not exist yet; returns the names it created. */
export async function ensureTopics(kafka: Kafka, specs: TopicSpec[]): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [...new Map(specs.map((s) => [s.topic, s])).values()].filter(
      (s) => !existing.has(s.topic),
    );
    if (missing.length === 0) return [];
    // kafkajs's own waitForLeaders gives up when a new topic's metadata briefly answers
    // UNKNOWN_TOPIC_OR_PARTITION (seen on a freshly started broker); wait for leaders here.
    await admin.createTopics({
      waitForLeaders: false,
      topics: missing.map(({ topic, partitions = TOPIC_DEFAULTS.partitions }) => ({
        topic,
        numPartitions: partitions,
        replicationFactor: TOPIC_DEFAULTS.replicationFactor,
        configEntries: [{ name: 'retention.ms', value: String(TOPIC_DEFAULTS.retentionMs) }],
      })),
    });
    const created = missing.map((s) => s.topic);
    await waitForLeaders(admin, created);
    return created;
  } finally {
    await admin.disconnect();
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
