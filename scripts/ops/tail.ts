// `npm run events:tail -- <topic> [--from-beginning]`: prints the events arriving on a topic,
// decoded through the schema registry, one JSON line each on stdout:
//   {"topic","partition","offset","timestamp","key","type","headers","payload"}
// A message that cannot be decoded prints the same line with "error" in place of type and
// payload, and the tail goes on. Status lines go to stderr. Honours KAFKA_BROKERS (and the
// other KAFKA_* settings), SCHEMA_REGISTRY_URL and TOPIC_PREFIX; Ctrl-C stops it cleanly.
//
// Without --from-beginning it starts exactly at the end of every partition as it was when
// "tailing" is printed: its throwaway consumer group is given those offsets before it joins
// (and the group is deleted again on exit).
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Consumer, KafkaMessage } from 'kafkajs';
import type { EventCodec } from '../../services/shared/src';
import { plannedTopics } from '../topics';
import {
  eventDecoder,
  headersAsText,
  kafkaFor,
  readOpsConfig,
  runCommand,
  UsageError,
  withPrefix,
} from './common';
import { withStackBrokers } from '../stack/brokers';

const USAGE = `usage: npm run events:tail -- <topic> [--from-beginning]
  <topic>  e.g. orders.events, billing.events, orderflow.billing.dlq (TOPIC_PREFIX is added)`;

/** The line printed for one message. */
export async function describeMessage(
  codec: EventCodec,
  topic: string,
  partition: number,
  message: KafkaMessage,
): Promise<Record<string, unknown>> {
  const where = {
    topic,
    partition,
    offset: Number(message.offset),
    timestamp: new Date(Number(message.timestamp)).toISOString(),
    key: message.key === null ? null : message.key.toString(),
  };
  const headers = headersAsText(message.headers);
  try {
    const { type, payload } = await codec.decode(message.value);
    return { ...where, type, headers, payload };
  } catch (error) {
    const code = (error as { code?: string }).code;
    return { ...where, headers, error: `${code ? `${code}: ` : ''}${(error as Error).message}` };
  }
}

async function main(): Promise<number> {
  const { values, positionals } = parseCli(process.argv.slice(2));
  const config = readOpsConfig(withStackBrokers());
  const topic = withPrefix(positionals[0]!, config.prefix);
  const fromBeginning = values['from-beginning'] === true;
  const kafka = kafkaFor(config, 'events-tail');
  const codec = eventDecoder(config);
  const groupId = `${config.prefix}orderflow-tail-${randomBytes(4).toString('hex')}`;

  const admin = kafka.admin();
  await admin.connect();
  let stopped = false;
  try {
    const topics = await admin.listTopics();
    if (!topics.includes(topic)) throw new Error(missingTopic(topic, topics, config.prefix));
    const ends = await admin.fetchTopicOffsets(topic);
    if (!fromBeginning) {
      await admin.setOffsets({
        groupId,
        topic,
        partitions: ends.map(({ partition, high }) => ({ partition, offset: high })),
      });
    }

    const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
    const disconnected = next(consumer, 'DISCONNECT');
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      await consumer.disconnect();
    };
    process.once('SIGINT', () => void stop());
    process.once('SIGTERM', () => void stop());
    process.stdout.on('error', () => void stop()); // e.g. piped into head, which exited
    const joined = next(consumer, 'GROUP_JOIN');

    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic: from, partition, message }) => {
        if (!stopped)
          process.stdout.write(`${JSON.stringify(await describeMessage(codec, from, partition, message))}\n`);
      },
    });
    await Promise.race([joined, disconnected]);
    if (!stopped) {
      const start = fromBeginning ? 'from the beginning' : 'from the end';
      console.error(
        `tailing ${topic} (${ends.length} partition${ends.length === 1 ? '' : 's'}) ${start}; Ctrl-C to stop`,
      );
    }
    await disconnected;
    console.error(`stopped tailing ${topic}`);
    return 0;
  } finally {
    // The throwaway group has no members left once the consumer disconnected.
    if (stopped || !fromBeginning) await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

/** Names the topic that is not there and the orderflow topics that are, under the prefix. */
export function missingTopic(topic: string, existing: string[], prefix: string): string {
  const ours = plannedTopics(prefix)
    .map((t) => t.topic)
    .filter((t) => existing.includes(t));
  const under = prefix ? ` under TOPIC_PREFIX "${prefix}"` : '';
  return `no topic ${topic}; orderflow's topics${under}: ${ours.join(', ') || '(none yet: npm run topics:create)'}`;
}

/** Resolves the next time the consumer emits the event. */
function next(consumer: Consumer, event: 'GROUP_JOIN' | 'DISCONNECT'): Promise<void> {
  return new Promise((resolve) => {
    const remove = consumer.on(consumer.events[event], () => {
      remove();
      resolve();
    });
  });
}

function parseCli(args: string[]) {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { 'from-beginning': { type: 'boolean' } } });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (parsed.positionals.length !== 1) throw new UsageError('events:tail takes one topic');
  return parsed;
}

if (require.main === module) runCommand('events:tail', USAGE, main);
