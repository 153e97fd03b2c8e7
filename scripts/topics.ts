// `npm run topics:create`: creates every topic of the one topic table plus each service's
// DLQ on the brokers of KAFKA_BROKERS, under TOPIC_PREFIX, and prints what it created and
// what already existed. Safe to run again: existing topics are left as they are.
import {
  ConfigError,
  SERVICE_NAMES,
  TOPIC_DEFAULTS,
  createKafka,
  createLogger,
  ensureTopics,
  groupOf,
  platformTopics,
  type Env,
  type TopicSpec,
} from '../services/shared/src';
import { readCommandConfig, type CommandConfig } from './config';

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

export async function createTopics(config: TopicsConfig): Promise<{ created: string[]; existed: string[] }> {
  const logger = createLogger({ service: 'topics', level: config.logLevel });
  const kafka = createKafka(config.kafka, 'orderflow-topics', logger);
  const planned = plannedTopics(config.prefix);
  const created = await ensureTopics(kafka, planned);
  const existed = planned.map((t) => t.topic).filter((topic) => !created.includes(topic));
  return { created, existed };
}

async function main(): Promise<void> {
  const config = readTopicsConfig(process.env);
  const prefix = config.prefix ? ` under prefix "${config.prefix}"` : '';
  console.log(`topics on ${config.kafka.brokers.join(',')}${prefix}:`);
  const { created, existed } = await createTopics(config);
  const partitions = new Map(plannedTopics(config.prefix).map((t) => [t.topic, t.partitions]));
  for (const topic of created) {
    console.log(`  created  ${topic} (${partitions.get(topic) ?? TOPIC_DEFAULTS.partitions} partitions)`);
  }
  for (const topic of existed) console.log(`  existed  ${topic}`);
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
