// The ceiling: raw kafkajs and a Koa handler that does nothing — no serde, no database.
//   http                        Koa answering 201 to every request
//   relay message|batch in out  forwards every message of `in` to `out`: eachMessage + one
//                               awaited send each, or eachBatch + one send per batch
//   sink topic count            consumes only, reporting when it has seen `count` messages
import Koa from 'koa';
import { Kafka, logLevel } from 'kafkajs';
import { DEFAULTS, PARTITIONS_CONCURRENTLY } from '@orderflow/shared';

export async function startCeiling(
  role: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  report: (m: Record<string, unknown>) => void,
): Promise<{ url?: string; stop(): Promise<void> }> {
  if (role === 'http') {
    const app = new Koa();
    app.use((ctx) => {
      ctx.status = 201;
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const address = server.address() as { port: number };
    return {
      url: `http://127.0.0.1:${address.port}`,
      stop: () => new Promise((r) => server.close(() => r())),
    };
  }

  const kafka = new Kafka({
    clientId: `ceiling-${role}`,
    brokers: (env.KAFKA_BROKERS ?? DEFAULTS.KAFKA_BROKERS).split(','),
    logLevel: logLevel.ERROR,
  });
  const [a, b, c] = args;
  const consumer = kafka.consumer({ groupId: `${env.TOPIC_PREFIX ?? ''}ceiling.${role}.${a}.${b}` });
  const producer = kafka.producer();
  await Promise.all([consumer.connect(), producer.connect()]);
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));

  if (role === 'relay' && a === 'message') {
    await consumer.subscribe({ topic: b!, fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: PARTITIONS_CONCURRENTLY, // as orderflow's consumer
      eachMessage: async ({ message: { key, value, headers } }) => {
        await producer.send({ topic: c!, acks: -1, messages: [{ key, value, headers }] });
      },
    });
  } else if (role === 'relay' && a === 'batch') {
    await consumer.subscribe({ topic: b!, fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: PARTITIONS_CONCURRENTLY, // as orderflow's consumer
      eachBatch: async ({ batch }) => {
        const messages = batch.messages.map(({ key, value, headers }) => ({ key, value, headers }));
        await producer.send({ topic: c!, acks: -1, messages });
      },
    });
  } else if (role === 'sink') {
    const want = Number(b);
    let seen = 0;
    await consumer.subscribe({ topic: a!, fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: PARTITIONS_CONCURRENTLY, // as orderflow's consumer
      eachBatch: async ({ batch }) => {
        seen += batch.messages.length;
        if (seen === batch.messages.length) report({ first: Date.now(), seen });
        if (seen >= want && seen - batch.messages.length < want) report({ done: Date.now(), seen });
      },
    });
  } else {
    throw new Error(`unknown ceiling role ${role} ${args.join(' ')}`);
  }
  await joined;
  return {
    async stop() {
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}
