// The one place that builds kafkajs clients: brokers, TLS and SASL come from config,
// logs go through pino, and every producer is idempotent with acks=all.
import {
  Kafka,
  logLevel,
  Partitioners,
  type ICustomPartitioner,
  type Message,
  type Producer,
  type ProducerBatch,
  type RecordMetadata,
  type KafkaConfig as KafkaJsConfig,
} from 'kafkajs';
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
    createPartitioner: recordingPartitioner,
  });
}

/** The partition the producer's partitioner chose for each message (kafkajs's answer does not say). */
const chosenPartition = new WeakMap<Message, number>();

/** The partition the producer chose for a message it has sent. */
export function partitionOf(message: Message): number | undefined {
  return chosenPartition.get(message);
}

/** Java-compatible murmur2 (the same partition as Confluent clients), remembering each choice. */
export const recordingPartitioner: ICustomPartitioner = () => {
  const choose = Partitioners.DefaultPartitioner();
  return (args) => {
    const partition = choose(args);
    chosenPartition.set(args.message, partition);
    return partition;
  };
};

/**
 * sendBatch that fails unless Kafka acknowledged every partition the batch carried messages for.
 * kafkajs 2.2.4 (tulios/kafkajs#1303, open): when one broker of a send fails and its partitions
 * move to a broker that had already answered, the retry skips that broker, so those messages are
 * never sent, yet the send resolves. The fault suite's broker kill lost 9 orders' events that
 * way. Failing here keeps the outbox rows; they are sent again and consumers drop the copies.
 */
export async function sendAcknowledged(producer: Producer, batch: ProducerBatch): Promise<RecordMetadata[]> {
  const acks = await producer.sendBatch(batch);
  const acknowledged = new Set(acks.map((a) => `${a.topicName}/${a.partition}`));
  const missing = new Set<string>();
  for (const { topic, messages } of batch.topicMessages ?? [])
    for (const message of messages) {
      const partition = `${topic}/${partitionOf(message) ?? '?'}`;
      if (!acknowledged.has(partition)) missing.add(partition);
    }
  if (missing.size > 0)
    throw new Error(
      `Kafka acknowledged the send but not partition(s) ${[...missing].join(', ')} (kafkajs#1303): sending again`,
    );
  return acks;
}
