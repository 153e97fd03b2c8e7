// A service's one Kafka producer (idempotent, acks=all), given up after any failed send and
// replaced by a new one on the next. kafkajs rolls a partition's sequence number back when a
// send fails, even when the broker had written the batch; after a broker kill -9 every later
// send of that producer was answered OUT_OF_ORDER_SEQUENCE_NUMBER, and a service's events
// stopped until it restarted (seen in the fault suite). A new producer gets a new producer id
// whose sequences start clean; a batch the old one may have written is a duplicate that
// consumers drop by eventId.
import type { Message, Producer, ProducerBatch, RecordMetadata } from 'kafkajs';
import { sendAcknowledged } from './kafka';
import type { Logger } from './logger';

export class EventProducer {
  #live: Producer | undefined;
  #connecting: Promise<Producer> | undefined;
  #discarded = new Set<Promise<void>>();
  #stopped = false;

  constructor(
    private readonly create: () => Producer,
    private readonly logger: Logger,
  ) {}

  /** Connects the first producer, so that startup fails when Kafka cannot be reached. */
  async connect(): Promise<void> {
    await this.#producer();
  }

  /** Sends and resolves once Kafka acknowledged every partition the batch carried messages for. */
  async sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    const producer = await this.#producer();
    try {
      return await sendAcknowledged(producer, batch);
    } catch (err) {
      this.#discard(producer, err as Error);
      throw err;
    }
  }

  async send(topic: string, messages: Message[]): Promise<RecordMetadata[]> {
    return this.sendBatch({ acks: -1, topicMessages: [{ topic, messages }] });
  }

  async disconnect(): Promise<void> {
    this.#stopped = true;
    const live = this.#live ?? (await this.#connecting?.catch(() => undefined));
    this.#live = undefined;
    await Promise.all([live?.disconnect(), ...this.#discarded]);
  }

  #producer(): Promise<Producer> {
    if (this.#stopped) return Promise.reject(new Error('the Kafka producer is stopped'));
    if (this.#live) return Promise.resolve(this.#live);
    this.#connecting ??= (async () => {
      const producer = this.create();
      try {
        await producer.connect();
      } catch (err) {
        await producer.disconnect().catch(() => undefined);
        throw err;
      } finally {
        this.#connecting = undefined;
      }
      this.#live = producer;
      return producer;
    })();
    return this.#connecting;
  }

  /** Only the producer in use is given up: concurrent sends that failed on it replace it once. */
  #discard(producer: Producer, err: Error): void {
    if (this.#live !== producer) return;
    this.#live = undefined;
    this.logger.warn(
      { err: err.message },
      'Kafka producer given up after a failed send; the next send uses a new one',
    );
    const closing = producer.disconnect().catch(() => undefined);
    this.#discarded.add(closing);
    void closing.finally(() => this.#discarded.delete(closing));
  }
}
