// Raw Kafka access for tests: produce exact bytes, read a topic with its headers.
import { randomBytes } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { waitFor } from './wait';

export async function produceRaw(
  kafka: Kafka,
  topic: string,
  messages: { key: string; value: Buffer | null; headers?: Record<string, string> }[],
): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({ topic, messages });
  } finally {
    await producer.disconnect();
  }
}

/** Reads a topic from the beginning until `enough` holds for what was read. */
export async function readTopicUntil(
  kafka: Kafka,
  topic: string,
  enough: (messages: KafkaMessage[]) => boolean,
  timeoutMs = 30_000,
): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: `reader-${randomBytes(4).toString('hex')}` });
  const messages: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void messages.push(message) });
    await waitFor(() => enough(messages), { timeoutMs, what: `messages on ${topic}` });
    return messages;
  } finally {
    await consumer.disconnect();
  }
}

export function header(message: KafkaMessage, name: string): string | undefined {
  const value = message.headers?.[name];
  return value === undefined ? undefined : String(value);
}
