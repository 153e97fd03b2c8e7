// What every phase shares: the stack, the bench's producer, and the children it started
// (named, so CPU snapshots label them).
import { randomBytes } from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';
import { cpuSnapshot } from './lib/os';
import type { Child } from './lib/procs';
import type { BenchContext } from './pipelines';

export class Harness {
  readonly runTag = randomBytes(2).toString('hex');
  private readonly children = new Map<number, string>();
  producer!: Producer;

  constructor(
    readonly ctx: BenchContext,
    readonly kafka: Kafka,
  ) {}

  /** A producer per pipeline round: kafkajs keeps refreshing metadata of every topic it ever sent to, and each round deletes its topics. */
  async withProducer<T>(work: () => Promise<T>): Promise<T> {
    this.producer = this.kafka.producer();
    await this.producer.connect();
    try {
      return await work();
    } finally {
      await this.producer.disconnect();
    }
  }

  track(children: Child[]): Child[] {
    for (const c of children) this.children.set(c.pid, c.name);
    return children;
  }

  snapshot() {
    return cpuSnapshot(this.children);
  }
}
