// `npm run topics:create`: creates every topic of the one topic table plus each service's
// DLQ on the brokers of KAFKA_BROKERS, under TOPIC_PREFIX, and prints what it created and
// what already existed. Safe to run again: existing topics are left as they are.
import {
  ConfigError,
  SERVICE_NAMES,
  TOPIC_DEFAULTS,
  createKafka,
  createLogger,
  ensureTopicsReport,
  groupOf,
  platformTopics,
  type Env,
  type Replication,
  type TopicSpec,
} from '../services/shared/src';
import { readCommandConfig, type CommandConfig } from './config';
import { withStackBrokers } from './stack/brokers';

/** The settings of `topics:create`: those of every command (scripts/config.ts). */
export type TopicsConfig = Pick<CommandConfig, 'kafka' | 'prefix' | 'logLevel'>;

export function readTopicsConfig(source: Env): TopicsConfig {
  return readCommandConfig(source);
}

/** Every event topic, and the DLQ of every service's consumer group. */
export function plannedTopics(prefix: string): TopicSpec[] {
  return platformTopics(
    prefix,
    SERVICE_NAMES.map((service) => groupOf(service, prefix)),
  );
}

export interface TopicsCreated {
  created: string[];
  existed: string[];
  replication: Replication;
  /** Existing topics with less replication than configured (left as they are). */
  warnings: string[];
}

export async function createTopics(config: TopicsConfig): Promise<TopicsCreated> {
  const logger = createLogger({ service: 'topics', level: config.logLevel });
  const kafka = createKafka(config.kafka, 'orderflow-topics', logger);
  const planned = plannedTopics(config.prefix);
  const { created, replication, warnings } = await ensureTopicsReport(kafka, planned, {
    replication: config.kafka.replication,
    namedBrokers: config.kafka.brokers.length,
    warn: () => undefined, // printed by main, after the list
  });
  const existed = planned.map((t) => t.topic).filter((topic) => !created.includes(topic));
  return { created, existed, replication, warnings };
}

async function main(): Promise<void> {
  const config = readTopicsConfig(withStackBrokers());
  const prefix = config.prefix ? ` under prefix "${config.prefix}"` : '';
  console.log(`topics on ${config.kafka.brokers.join(',')}${prefix}:`);
  const { created, existed, replication, warnings } = await createTopics(config);
  console.log(
    `  replication factor ${replication.factor} (KAFKA_REPLICATION_FACTOR), min.insync.replicas ${replication.minInsync} (KAFKA_MIN_INSYNC_REPLICAS)`,
  );
  const partitions = new Map(plannedTopics(config.prefix).map((t) => [t.topic, t.partitions]));
  for (const topic of created) {
    console.log(`  created  ${topic} (${partitions.get(topic) ?? TOPIC_DEFAULTS.partitions} partitions)`);
  }
  for (const topic of existed) console.log(`  existed  ${topic}`);
  for (const warning of warnings) console.warn(`  WARNING  ${warning}`);
  console.log(`${created.length} created, ${existed.length} already existed`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(
      error instanceof ConfigError ? error.message : `topics:create failed: ${(error as Error).message}`,
    );
    process.exit(1);
  });
}
