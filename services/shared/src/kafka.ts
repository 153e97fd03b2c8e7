// The one place that builds kafkajs clients: brokers, TLS and SASL come from config,
// logs go through pino, and every producer is idempotent with acks=all.
import { Kafka, logLevel, Partitioners, type Producer, type KafkaConfig as KafkaJsConfig } from 'kafkajs';
import type { KafkaConfig } from './config';
import type { Logger } from './logger';

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

export function createKafka(config: KafkaConfig, clientId: string, logger: Logger): Kafka {
  const log = logger.child({ module: 'kafkajs' });
  const options: KafkaJsConfig = {
    clientId,
    brokers: config.brokers,
    ssl: config.ssl,
    sasl: config.sasl as KafkaJsConfig['sasl'],
    connectionTimeout: 3_000,
    retry: { initialRetryTime: 300, retries: 8 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: { message, ...extra } }) => {
        // Our producers retry a bounded number of times on purpose (stop() must not hang while
        // Kafka is down); a resend after an ambiguous failure is deduplicated by eventId downstream.
        if (message.startsWith('Limiting retries for the idempotent producer')) return;
        log[LEVELS[level] ?? 'info']({ kafkajs: extra.namespace, ...pickLogFields(extra) }, message);
      },
  };
  return new Kafka(options);
}

function pickLogFields(extra: Record<string, unknown>): Record<string, unknown> {
  const { broker, groupId, topic, error, retryCount, retryTime } = extra;
  return { broker, groupId, topic, error, retryCount, retryTime };
}

/** Idempotent producer: acks=all and one in-flight request, so retries never reorder or double. */
export function createProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner, // Java-compatible murmur2: same partition as Confluent clients
  });
}
