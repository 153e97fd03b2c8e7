// Kafka helpers of the bench: counting a topic, pre-filling a backlog, producing at a fixed
// rate (the ceiling has no HTTP intake), and watching a saga's terminal topic.
import type { Admin, Consumer, IHeaders, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { Histogram } from 'hdr-histogram-js';
import { latencyHistogram } from './stats';

export interface OutMessage {
  key: string;
  value: Buffer | string;
  headers?: IHeaders;
}

/** Messages on a topic: the sum of its partitions' high watermarks (no transactions here). */
export async function topicCount(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high), 0);
}

export async function prefill(producer: Producer, topic: string, messages: OutMessage[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 2_000) {
    await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 2_000) });
  }
}

/** Produces `make()` at `rate` per second for `durationMs`, each tick's due messages in one send. */
export async function produceAtRate(
  producer: Producer,
  topic: string,
  make: () => OutMessage,
  rate: number,
  durationMs: number,
): Promise<string[]> {
  const total = Math.round((rate * durationMs) / 1000);
  const keys: string[] = [];
  const sends: Promise<unknown>[] = [];
  const start = performance.now();
  let due = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      const batch: OutMessage[] = [];
      while (due < total && start + (due * 1000) / rate <= now) {
        due++;
        const m = make();
        keys.push(m.key);
        batch.push(m);
      }
      if (batch.length > 0) sends.push(producer.send({ topic, acks: -1, messages: batch }));
      if (due >= total) return resolve();
      setTimeout(tick, 1);
    };
    tick();
  });
  await Promise.all(sends);
  return keys;
}

/**
 * Reads a saga's terminal topic: for every terminal event, the latency since `x-origin-ts`
 * (stamped at intake, copied hop to hop) into the current histogram, and a count per order.
 */
export class TerminalWatcher {
  readonly seen = new Map<string, number>();
  latency: Histogram = latencyHistogram();
  /** Arrival times (ms since epoch) of terminal events, for throughput over a window. */
  arrivals: number[] = [];
  private readonly consumer: Consumer;
  private readonly waiters = new Map<string, (at: number) => void>();
  private stopped: Promise<void> | undefined;

  constructor(
    kafka: Kafka,
    private readonly topic: string,
    /** The orderId of a terminal event, or undefined for any other message. */
    private readonly classify: (m: KafkaMessage) => Promise<string | undefined> | string | undefined,
    groupId: string,
  ) {
    this.consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    const joined = new Promise<void>((resolve) =>
      this.consumer.on(this.consumer.events.GROUP_JOIN, () => resolve()),
    );
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.consumer.run({
      partitionsConsumedConcurrently: 6,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const now = Date.now();
          const orderId = await this.classify(m);
          if (orderId === undefined) continue;
          this.seen.set(orderId, (this.seen.get(orderId) ?? 0) + 1);
          this.arrivals.push(now);
          this.waiters.get(orderId)?.(performance.now());
          this.waiters.delete(orderId);
          const origin = Number(m.headers?.['x-origin-ts']?.toString());
          if (origin > 0) this.latency.recordValue(Math.max(1, (now - origin) * 1000));
        }
      },
    });
    await joined;
  }

  /** performance.now() when orderId's terminal event arrives (at once if it has), or undefined after `ms`. */
  arrivalOf(orderId: string, ms: number): Promise<number | undefined> {
    if (this.seen.has(orderId)) return Promise.resolve(performance.now());
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(orderId);
        resolve(undefined);
      }, ms);
      this.waiters.set(orderId, (at) => {
        clearTimeout(timer);
        resolve(at);
      });
    });
  }

  /** Starts a new latency window (the previous one is returned). */
  resetLatency(): Histogram {
    const previous = this.latency;
    this.latency = latencyHistogram();
    return previous;
  }

  missing(orderIds: string[]): number {
    return orderIds.filter((id) => !this.seen.has(id)).length;
  }

  duplicates(): number {
    let n = 0;
    for (const c of this.seen.values()) if (c > 1) n += c - 1;
    return n;
  }

  /** Safe to call twice. */
  stop(): Promise<void> {
    this.stopped ??= this.consumer.disconnect();
    return this.stopped;
  }
}
