// `npm run dlq:replay -- <group> [--dry-run]`: puts the messages of a consumer group's DLQ
// (`<group>.dlq`) back on the topic each came from (header x-dlq-source-topic), with the same
// key, value and headers less the x-dlq-* ones, and reports how many went to each topic.
//
// It reads the DLQ up to the end offsets it finds at start, so it always terminates; messages
// dead-lettered while it runs wait for the next replay. It reads with its own consumer group,
// `<group>.dlq-replay`, and commits each message right after publishing it, so a message is
// replayed once, and a replay that is stopped half way goes on where it stopped. (A crash
// between a publish and its commit publishes that message twice; consumers skip the repeat
// by eventId.) --dry-run lists what would be replayed and publishes and commits nothing.
import { parseArgs } from 'node:util';
import type { Batch, Consumer, Kafka } from 'kafkajs';
import {
  createProducer,
  dlqTopicOf,
  groupOf,
  SERVICE_NAMES,
  type ServiceName,
} from '../../services/shared/src';
import { headersAsText, kafkaFor, readOpsConfig, runCommand, UsageError, withPrefix } from './common';
import { withStackBrokers } from '../stack/brokers';

const USAGE = `usage: npm run dlq:replay -- <group> [--dry-run]
  <group>  the consumer group whose DLQ to replay, e.g. orderflow.billing (or just billing);
           TOPIC_PREFIX is added`;

const DLQ_HEADER = /^x-dlq-/;

export interface ReplayReport {
  dlq: string;
  dryRun: boolean;
  /** Source topic → messages replayed to it (or that would be, in a dry run). */
  replayed: Map<string, number>;
  /** Messages that name no source topic: left in the DLQ, passed over. */
  skipped: number;
}

/** The consumer group a CLI argument names: a service, a group, or the DLQ topic itself. */
export function groupOfArgument(argument: string, prefix: string): string {
  const name = argument.replace(/\.dlq$/, '');
  if ((SERVICE_NAMES as readonly string[]).includes(name)) return groupOf(name as ServiceName, prefix);
  return withPrefix(name, prefix);
}

export async function replayDlq(
  kafka: Kafka,
  group: string,
  options: { dryRun: boolean; print: (line: string) => void },
): Promise<ReplayReport> {
  const dlq = dlqTopicOf(group);
  const replayGroup = `${dlq}-replay`;
  const report: ReplayReport = { dlq, dryRun: options.dryRun, replayed: new Map(), skipped: 0 };

  // Where to stop (the end offsets now) and where this replay group stands.
  const admin = kafka.admin();
  await admin.connect();
  const remaining = new Map<number, { from: number; end: number }>();
  try {
    if (!(await admin.listTopics()).includes(dlq))
      throw new Error(`no DLQ topic ${dlq}: is ${group} a consumer group?`);
    const ends = await admin.fetchTopicOffsets(dlq);
    const [committed] = await admin.fetchOffsets({ groupId: replayGroup, topics: [dlq] });
    for (const { partition, low, high } of ends) {
      const done = Number(committed?.partitions.find((p) => p.partition === partition)?.offset ?? -1);
      const from = Math.max(done, Number(low));
      if (from < Number(high)) remaining.set(partition, { from, end: Number(high) });
    }
  } finally {
    await admin.disconnect();
  }
  const total = [...remaining.values()].reduce((n, r) => n + r.end - r.from, 0);
  if (total === 0) {
    options.print(
      `nothing to replay in ${dlq} (consumer group ${replayGroup} has replayed everything in it)`,
    );
    return report;
  }
  options.print(
    `${options.dryRun ? 'would replay' : 'replaying'} up to ${total} message(s) from ${dlq} ` +
      `(partition:offsets ${[...remaining].map(([p, r]) => `${p}:${r.from}-${r.end - 1}`).join(' ')}) as consumer group ${replayGroup}`,
  );

  const producer = createProducer(kafka);
  const consumer = kafka.consumer({ groupId: replayGroup, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: dlq, fromBeginning: true });
    const finished = new Promise<void>((resolve, reject) => {
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (!payload.restart) reject(payload.error);
      });
      const reached = (partition: number, next: number) => {
        const r = remaining.get(partition);
        if (r && next >= r.end) {
          remaining.delete(partition);
          consumer.pause([{ topic: dlq, partitions: [partition] }]);
        }
        if (remaining.size === 0) resolve();
      };
      void consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
          const end = remaining.get(batch.partition)?.end ?? -1;
          for (const message of batch.messages) {
            const offset = Number(message.offset);
            if (offset >= end) break;
            await replayOne(consumer, producer, batch, message, options, report);
            resolveOffset(message.offset);
            await heartbeat();
          }
          reached(batch.partition, Number(batch.lastOffset()) + 1);
        },
      });
    });
    await finished;
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
  }
  const verb = options.dryRun ? 'would replay' : 'replayed';
  const count = [...report.replayed.values()].reduce((a, b) => a + b, 0);
  options.print(
    `${verb} ${count} message(s) from ${dlq}${report.skipped ? `; ${report.skipped} skipped` : ''}:`,
  );
  for (const [topic, n] of [...report.replayed].sort()) options.print(`  ${topic}  ${n}`);
  return report;
}

async function replayOne(
  consumer: Consumer,
  producer: ReturnType<typeof createProducer>,
  batch: Batch,
  message: Batch['messages'][number],
  options: { dryRun: boolean; print: (line: string) => void },
  report: ReplayReport,
): Promise<void> {
  const text = headersAsText(message.headers);
  const source = text['x-dlq-source-topic'];
  const what = `  ${batch.partition}:${message.offset}  key ${message.key?.toString() ?? '-'}  ${text['x-dlq-reason'] ?? '?'}: ${(text['x-dlq-error'] ?? '').slice(0, 120)}`;
  if (!source) {
    report.skipped++;
    options.print(`${what}  SKIPPED: no x-dlq-source-topic header`);
  } else {
    options.print(`${what}  → ${source}`);
    report.replayed.set(source, (report.replayed.get(source) ?? 0) + 1);
    if (!options.dryRun) {
      const headers = Object.fromEntries(
        Object.entries(message.headers ?? {}).filter(([name]) => !DLQ_HEADER.test(name)),
      );
      await producer.send({
        topic: source,
        acks: -1,
        messages: [{ key: message.key, value: message.value, headers }],
      });
    }
  }
  if (!options.dryRun) {
    await consumer.commitOffsets([
      { topic: batch.topic, partition: batch.partition, offset: String(Number(message.offset) + 1) },
    ]);
  }
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: process.argv.slice(2),
      allowPositionals: true,
      options: { 'dry-run': { type: 'boolean' } },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (parsed.positionals.length !== 1) throw new UsageError('dlq:replay takes one consumer group');
  const config = readOpsConfig(withStackBrokers());
  const group = groupOfArgument(parsed.positionals[0]!, config.prefix);
  const report = await replayDlq(kafkaFor(config, 'dlq-replay'), group, {
    dryRun: parsed.values['dry-run'] === true,
    print: (line) => console.log(line),
  });
  return report.skipped > 0 ? 1 : 0;
}

if (require.main === module) runCommand('dlq:replay', USAGE, main);
