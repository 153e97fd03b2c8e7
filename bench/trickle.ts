// `npm run bench:trickle`: what one raw kafkajs consumer costs at a trickle. A producer sends
// 250-byte messages at a fixed rate to a topic of its own; a consumer in a child process (so
// its CPU time is its own) only counts them in eachBatch, with the settings orderflow's consumer
// uses (partitions consumed at once, maxWaitTimeInMs 1 s) or with broker-side fetch batching
// (minBytes 16 KiB, a short maxWaitTimeInMs). Prints, per case, the consumer's share of a core,
// its CPU per message, messages per batch and the mean produce-to-consume latency. All cases
// run in one invocation, one after another, so their ratios are comparable.
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { DEFAULTS, PARTITIONS_CONCURRENTLY } from '@orderflow/shared';

interface Case {
  rate: number;
  partitions: number;
  fetch: 'orderflow' | 'minBytes 16 KiB, wait 5 ms' | 'minBytes 16 KiB, wait 20 ms';
}

const FETCH = {
  orderflow: { maxWaitTimeInMs: 1_000 },
  'minBytes 16 KiB, wait 5 ms': { maxWaitTimeInMs: 5, minBytes: 16_384 },
  'minBytes 16 KiB, wait 20 ms': { maxWaitTimeInMs: 20, minBytes: 16_384 },
} as const;

const CASES: Case[] = [
  { rate: 1, partitions: 6, fetch: 'orderflow' },
  { rate: 100, partitions: 6, fetch: 'orderflow' },
  { rate: 400, partitions: 6, fetch: 'orderflow' },
  { rate: 1_000, partitions: 6, fetch: 'orderflow' },
  { rate: 100, partitions: 1, fetch: 'orderflow' },
  { rate: 100, partitions: 24, fetch: 'orderflow' },
  { rate: 100, partitions: 6, fetch: 'minBytes 16 KiB, wait 5 ms' },
  { rate: 1_000, partitions: 6, fetch: 'minBytes 16 KiB, wait 5 ms' },
  { rate: 100, partitions: 6, fetch: 'minBytes 16 KiB, wait 20 ms' },
  { rate: 1, partitions: 6, fetch: 'minBytes 16 KiB, wait 20 ms' },
];
const WARMUP_MS = 3_000;
const MEASURE_MS = Number(process.env.TRICKLE_SECONDS ?? 15) * 1_000;
const brokers = (process.env.KAFKA_BROKERS ?? DEFAULTS.KAFKA_BROKERS).split(',');

type Measured = { userMs: number; systemMs: number; seen: number; batches: number; latencyMs: number };

/** The child: joins a fresh group on `topic`, counts, and answers {start} / {stop} over IPC. */
async function consume(topic: string, fetch: Case['fetch']): Promise<void> {
  const kafka = new Kafka({ clientId: 'trickle-consumer', brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `trickle-${randomUUID()}`, ...FETCH[fetch] });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: false });
  let from = process.cpuUsage();
  let measured: Measured = { userMs: 0, systemMs: 0, seen: 0, batches: 0, latencyMs: 0 };
  await new Promise<void>((joined) => {
    consumer.on(consumer.events.GROUP_JOIN, () => joined());
    void consumer.run({
      partitionsConsumedConcurrently: PARTITIONS_CONCURRENTLY,
      eachBatch: async ({ batch }) => {
        measured.batches++;
        for (const m of batch.messages) {
          measured.seen++;
          measured.latencyMs += Date.now() - Number(m.timestamp);
        }
      },
    });
  });
  process.send!('ready');
  process.on('message', async (m: string) => {
    if (m === 'start') {
      from = process.cpuUsage();
      measured = { userMs: 0, systemMs: 0, seen: 0, batches: 0, latencyMs: 0 };
    } else if (m === 'stop') {
      const used = process.cpuUsage(from);
      process.send!({ ...measured, userMs: used.user / 1_000, systemMs: used.system / 1_000 });
      await consumer.disconnect();
      process.exit(0);
    }
  });
}

async function measure(kafka: Kafka, c: Case): Promise<Measured> {
  const topic = `trickle-${randomUUID()}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: c.partitions }], waitForLeaders: true });
  const child = fork(__filename, ['consume', topic, c.fetch], { execArgv: process.execArgv });
  const producer = kafka.producer();
  try {
    await new Promise((ready) => child.once('message', ready));
    await producer.connect();
    const value = Buffer.alloc(250);
    // Sends on a fixed schedule, whatever the answers (open loop).
    const sendFor = async (ms: number) => {
      const every = 1_000 / c.rate;
      const end = performance.now() + ms;
      for (let due = performance.now(); due < end; due += every) {
        void producer.send({ topic, acks: -1, messages: [{ key: randomUUID(), value }] });
        const ahead = due + every - performance.now();
        if (ahead > 0) await new Promise((r) => setTimeout(r, ahead));
      }
    };
    await sendFor(WARMUP_MS);
    child.send('start');
    await sendFor(MEASURE_MS);
    const answered = new Promise<Measured>((r) => child.once('message', (m) => r(m as Measured)));
    child.send('stop');
    return await answered;
  } finally {
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
  }
}

async function main(): Promise<void> {
  const kafka = new Kafka({ clientId: 'trickle', brokers, logLevel: logLevel.NOTHING });
  const rows = [
    '| rate (msg/s) | partitions | fetch | core % (user + system) | CPU-ms per msg | msgs per batch | latency mean (ms) |',
  ];
  rows.push('| ---: | ---: | --- | ---: | ---: | ---: | ---: |');
  for (const c of CASES) {
    const m = await measure(kafka, c);
    const cpuMs = m.userMs + m.systemMs;
    const row = [
      c.rate,
      c.partitions,
      c.fetch,
      `${((100 * cpuMs) / MEASURE_MS).toFixed(1)} (${((100 * m.userMs) / MEASURE_MS).toFixed(1)} + ${((100 * m.systemMs) / MEASURE_MS).toFixed(1)})`,
      (cpuMs / Math.max(m.seen, 1)).toFixed(2),
      (m.seen / Math.max(m.batches, 1)).toFixed(2),
      (m.latencyMs / Math.max(m.seen, 1)).toFixed(1),
    ];
    rows.push(`| ${row.join(' | ')} |`);
    console.error(rows.at(-1));
  }
  console.log(rows.join('\n'));
}

const [role, topic, fetch] = process.argv.slice(2);
(role === 'consume' ? consume(topic!, fetch as Case['fetch']) : main()).catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
