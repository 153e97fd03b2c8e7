// Serde ops/s on one representative event (an OrderCreated with two lines): orderflow's
// codec (Confluent framing + schema id cache + JSON Schema validation) against JSON and raw
// avsc, plus what validation alone costs. Also counts registry calls after warm-up.
import { randomUUID } from 'node:crypto';
import {
  EVENT_NAMES,
  EventCodec,
  avroTypeOf,
  loadAvroSchema,
  registerEventSchemas,
  validatorFor,
  SchemaRegistryClient,
  type OrderCreated,
} from '@orderflow/shared';

export interface SerdeResult {
  opsPerSec: Record<string, number>;
  bytes: { codec: number; json: number; avro: number };
  registryCallsAfterWarmup: number;
}

export function sampleOrder(): OrderCreated {
  return {
    eventId: randomUUID(),
    orderId: randomUUID(),
    occurredAt: new Date().toISOString(),
    customerId: 'c-4711',
    email: 'ada@example.com',
    items: [
      { itemId: 'ceramic-mug', quantity: 2, unitPriceCents: 1450 },
      { itemId: 'espresso-beans-1kg', quantity: 1, unitPriceCents: 2490 },
    ],
    totalCents: 5390,
    currency: 'EUR',
  };
}

/** Runs `fn` in slices until `ms` have passed; ops per second. */
async function opsPerSec(ms: number, fn: () => unknown, isAsync = false): Promise<number> {
  const slice = 2_000;
  let ops = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    if (isAsync) for (let i = 0; i < slice; i++) await fn();
    else for (let i = 0; i < slice; i++) fn();
    ops += slice;
  }
  return (ops * 1000) / (performance.now() - start);
}

export class SerdeBench {
  private calls = 0;
  private writer!: EventCodec;
  private reader!: EventCodec;

  constructor(
    private readonly registryUrl: string,
    private readonly prefix: string,
  ) {}

  async setup(): Promise<void> {
    const registry = new SchemaRegistryClient({ url: this.registryUrl });
    const ids = await registerEventSchemas({ registry, events: ['OrderCreated'], prefix: this.prefix });
    const readerSchemas = new Map(EVENT_NAMES.map((e) => [e, loadAvroSchema(e)]));
    const source = {
      schemaById: (id: number) => {
        this.calls++;
        return registry.schemaById(id);
      },
    };
    this.writer = new EventCodec({
      source,
      parse: avroTypeOf,
      readerSchemas,
      writerIds: new Map([['OrderCreated', ids.get('OrderCreated')!.id]]),
    });
    // The reader knows no writer ids, like a consumer in another service.
    this.reader = new EventCodec({ source, parse: avroTypeOf, readerSchemas, writerIds: new Map() });
  }

  async run(ms: number): Promise<SerdeResult> {
    const order = sampleOrder();
    const avro = avroTypeOf(loadAvroSchema('OrderCreated'));
    const validate = validatorFor('OrderCreated.json');
    const framed = this.writer.encode('OrderCreated', order);
    await this.reader.decode(framed); // warm-up: the one registry call for this id
    const callsBefore = this.calls;
    const json = Buffer.from(JSON.stringify(order));
    const raw = avro.toBuffer(order);
    const opsPerSecResult: Record<string, number> = {};
    const cases: [string, () => unknown, boolean?][] = [
      ['codec.encode', () => this.writer.encode('OrderCreated', order)],
      ['json.encode', () => Buffer.from(JSON.stringify(order))],
      ['avsc.encode', () => avro.toBuffer(order)],
      ['codec.decode', () => this.reader.decodeCached(framed)], // the consumer's path once the id is cached
      ['json.decode', () => JSON.parse(json.toString())],
      ['avsc.decode', () => avro.fromBuffer(raw)],
      ['validate', () => validate(order)],
    ];
    for (const [name, fn, isAsync] of cases) opsPerSecResult[name] = await opsPerSec(ms, fn, isAsync);
    return {
      opsPerSec: opsPerSecResult,
      bytes: { codec: framed.length, json: json.length, avro: raw.length },
      registryCallsAfterWarmup: this.calls - callsBefore,
    };
  }
}
