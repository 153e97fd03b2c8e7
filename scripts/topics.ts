// `npm run topics:create`: creates every topic of the one topic table plus each service's
// DLQ on the brokers of KAFKA_BROKERS, under TOPIC_PREFIX, and prints what it created and
// what already existed. Safe to run again: existing topics are left as they are.
import {
  ConfigError,
  SERVICE_NAMES,
  TOPIC_DEFAULTS,
  commonSpec,
  createKafka,
  createLogger,
  ensureTopics,
  groupOf,
  platformTopics,
  readEnv,
  type Env,
  type KafkaConfig,
  type TopicSpec,
} from '../services/shared/src';

const spec = {
  KAFKA_BROKERS: commonSpec.KAFKA_BROKERS,
  KAFKA_SSL: commonSpec.KAFKA_SSL,
  KAFKA_SASL_MECHANISM: commonSpec.KAFKA_SASL_MECHANISM,
  KAFKA_SASL_USERNAME: commonSpec.KAFKA_SASL_USERNAME,
  KAFKA_SASL_PASSWORD: commonSpec.KAFKA_SASL_PASSWORD,
  TOPIC_PREFIX: commonSpec.TOPIC_PREFIX,
  LOG_LEVEL: commonSpec.LOG_LEVEL,
};

export interface TopicsConfig {
  kafka: KafkaConfig;
  prefix: string;
  logLevel: string;
}

/** The settings of `topics:create`, with the services' names, defaults and checks. */
export function readTopicsConfig(source: Env): TopicsConfig {
  const raw = readEnv(spec, source);
  if (raw.KAFKA_SASL_MECHANISM && !(raw.KAFKA_SASL_USERNAME && raw.KAFKA_SASL_PASSWORD)) {
    throw new ConfigError([
      'KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD are required when KAFKA_SASL_MECHANISM is set',
    ]);
  }
  return {
    kafka: {
      brokers: raw.KAFKA_BROKERS,
      ssl: raw.KAFKA_SSL,
      sasl: raw.KAFKA_SASL_MECHANISM
        ? {
            mechanism: raw.KAFKA_SASL_MECHANISM,
            username: raw.KAFKA_SASL_USERNAME!,
            password: raw.KAFKA_SASL_PASSWORD!,
          }
        : undefined,
    },
    prefix: raw.TOPIC_PREFIX,
    logLevel: raw.LOG_LEVEL,
  };
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
