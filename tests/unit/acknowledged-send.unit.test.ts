// The outbox relay's send fails unless Kafka acknowledged every partition it carried messages for:
// kafkajs 2.2.4 (tulios/kafkajs#1303) can resolve a send after a broker failure without having
// sent the messages of partitions that moved to a broker that had already answered.
import type { Message, PartitionMetadata, Producer, ProducerBatch, RecordMetadata } from 'kafkajs';
import { recordingPartitioner, sendAcknowledged } from '@orderflow/shared';

const PARTITIONS: PartitionMetadata[] = Array.from({ length: 6 }, (_, partitionId) => ({
  partitionId,
  leader: 1 + (partitionId % 3),
  replicas: [1, 2, 3],
  isr: [1, 2, 3],
  partitionErrorCode: 0,
}));

/** A producer that partitions like the real one and acknowledges all partitions but `dropped`. */
function producerDropping(dropped: number | undefined): Producer {
  const partition = recordingPartitioner();
  return {
    async sendBatch({ topicMessages = [] }: ProducerBatch): Promise<RecordMetadata[]> {
      const acks = new Map<string, RecordMetadata>();
      for (const { topic, messages } of topicMessages)
        for (const message of messages) {
          const p = partition({ topic, partitionMetadata: PARTITIONS, message });
          if (p !== dropped) acks.set(`${topic}/${p}`, { topicName: topic, partition: p, errorCode: 0 });
        }
      return [...acks.values()];
    },
  } as unknown as Producer;
}

const batch = (): ProducerBatch => ({
  acks: -1,
  topicMessages: [
    {
      topic: 'orders.events',
      messages: Array.from({ length: 40 }, (_, i): Message => ({ key: `order-${i}`, value: 'x' })),
    },
  ],
});

test('a send that Kafka acknowledged for every partition it carried succeeds', async () => {
  await expect(sendAcknowledged(producerDropping(undefined), batch())).resolves.toHaveLength(6);
});

test('a send whose answer lacks a partition it carried messages for fails, naming the partition', async () => {
  await expect(sendAcknowledged(producerDropping(4), batch())).rejects.toThrow(
    'Kafka acknowledged the send but not partition(s) orders.events/4 (kafkajs#1303): sending again',
  );
});
