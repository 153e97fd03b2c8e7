// A service's producer is given up after a failed send and the next send goes through a new one
// (a new producer id): kafkajs's idempotent producer can stay on OUT_OF_ORDER_SEQUENCE_NUMBER after
// a broker kill -9. The fault suite's broker scenarios show it on real brokers; this pins the rule.
import type { PartitionMetadata, Producer, ProducerBatch, RecordMetadata } from 'kafkajs';
import { EventProducer, createLogger, recordingPartitioner } from '@orderflow/shared';

const PARTITIONS: PartitionMetadata[] = [0, 1, 2].map((partitionId) => ({
  partitionId,
  leader: 1,
  replicas: [1],
  isr: [1],
  partitionErrorCode: 0,
}));

const OUT_OF_ORDER = Object.assign(new Error('The broker received an out of order sequence number'), {
  type: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
});

/** Producers that fail every send once told to, like one whose sequence state the broker rejects. */
function producers() {
  const made: { id: number; sent: number; connected: boolean; broken: boolean; connectFails: boolean }[] = [];
  let nextConnectFails = false;
  const create = (): Producer => {
    const state = {
      id: made.length + 1,
      sent: 0,
      connected: false,
      broken: false,
      connectFails: nextConnectFails,
    };
    made.push(state);
    const partition = recordingPartitioner();
    return {
      async connect() {
        if (state.connectFails) throw new Error('Connection error: ECONNREFUSED');
        state.connected = true;
      },
      async disconnect() {
        state.connected = false;
      },
      async sendBatch({ topicMessages = [] }: ProducerBatch): Promise<RecordMetadata[]> {
        if (!state.connected) throw new Error('The producer is disconnected');
        if (state.broken) throw OUT_OF_ORDER;
        const acks = new Map<string, RecordMetadata>();
        for (const { topic, messages } of topicMessages)
          for (const message of messages) {
            const p = partition({ topic, partitionMetadata: PARTITIONS, message });
            acks.set(`${topic}/${p}`, { topicName: topic, partition: p, errorCode: 0 });
            state.sent++;
          }
        return [...acks.values()];
      },
    } as unknown as Producer;
  };
  return { made, create, failNextConnect: (fails: boolean) => (nextConnectFails = fails) };
}

const logger = createLogger({ level: 'silent', service: 'test' });
const send = (producer: EventProducer) => producer.send('orders.events', [{ key: 'order-1', value: 'x' }]);

test('given a producer whose send failed, when the next send comes, then a new producer sends it', async () => {
  const { made, create } = producers();
  const producer = new EventProducer(create, logger);
  await producer.connect();
  made[0]!.broken = true;

  await expect(send(producer)).rejects.toThrow('out of order sequence number');
  await send(producer);

  expect(made.map(({ id, sent, connected }) => ({ id, sent, connected }))).toEqual([
    { id: 1, sent: 0, connected: false },
    { id: 2, sent: 1, connected: true },
  ]);
});

test('given a healthy producer, sends keep using it', async () => {
  const { made, create } = producers();
  const producer = new EventProducer(create, logger);
  await producer.connect();

  for (let i = 0; i < 3; i++) await send(producer);

  expect(made).toHaveLength(1);
  expect(made[0]!.sent).toBe(3);
});

test('given concurrent sends failing on one producer, then it is replaced once', async () => {
  const { made, create } = producers();
  const producer = new EventProducer(create, logger);
  await producer.connect();
  made[0]!.broken = true;

  const failed = await Promise.allSettled([send(producer), send(producer), send(producer)]);
  await Promise.all([send(producer), send(producer)]);

  expect(failed.every((r) => r.status === 'rejected')).toBe(true);
  expect(made).toHaveLength(2);
  expect(made[1]!.sent).toBe(2);
});

test('given Kafka unreachable when a new producer connects, then the send fails and the next one tries again', async () => {
  const { made, create, failNextConnect } = producers();
  const producer = new EventProducer(create, logger);
  await producer.connect();
  made[0]!.broken = true;
  await expect(send(producer)).rejects.toThrow('out of order');

  failNextConnect(true);
  await expect(send(producer)).rejects.toThrow('ECONNREFUSED');
  failNextConnect(false);
  await send(producer);

  expect(made.map(({ sent }) => sent)).toEqual([0, 0, 1]);
});

test('given a stopped producer, then sends are refused and no new producer is made', async () => {
  const { made, create } = producers();
  const producer = new EventProducer(create, logger);
  await producer.connect();
  await producer.disconnect();

  await expect(send(producer)).rejects.toThrow('the Kafka producer is stopped');
  expect(made).toHaveLength(1);
  expect(made[0]!.connected).toBe(false);
});
