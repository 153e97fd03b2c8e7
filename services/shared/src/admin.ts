// Topic creation from the one topic table; used by `npm run topics:create`, by services at
// startup (for the topics they touch) and by tests (under their own prefix).
import type { Kafka } from 'kafkajs';
import { TOPICS, TOPIC_DEFAULTS } from './topics';

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
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map(({ topic, partitions = TOPIC_DEFAULTS.partitions }) => ({
        topic,
        numPartitions: partitions,
        replicationFactor: TOPIC_DEFAULTS.replicationFactor,
        configEntries: [{ name: 'retention.ms', value: String(TOPIC_DEFAULTS.retentionMs) }],
      })),
    });
    return missing.map((s) => s.topic);
  } finally {
    await admin.disconnect();
  }
}

/** Every event topic plus the DLQ of every consumer group, under a prefix. */
export function platformTopics(prefix = '', consumerGroups: string[] = []): TopicSpec[] {
  return [
    ...Object.values(TOPICS).map(({ topic }) => ({ topic: prefix + topic })),
    ...consumerGroups.map((group) => ({ topic: `${group}.dlq`, partitions: 1 })),
  ];
}
