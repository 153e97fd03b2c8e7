// `npx tsx bench/serde-ratio.ts [--rounds 40] [--slice-ms 40]`: the serde phase's codec / raw
// avsc ratios (bench/serde.ts: the same OrderCreated, the same raw avsc type with orderflow's
// logical types, the codec's decodeCached() path) without a registry, measured so that a busy
// machine biases neither side: each round runs codec and avsc in short alternating slices (the
// order flips every round), counts each slice's operations per CPU-second of this process, and
// the round's ratio is codec/avsc; the median and quartiles over rounds are printed.
import { EVENT_NAMES, EventCodec, avroTypeOf, loadAvroSchema } from '@orderflow/shared';
import { numbersAfter } from './config';
import { sampleOrder } from './serde';

const args = process.argv.slice(2);
const rounds = numbersAfter(args, '--rounds')?.[0] ?? 40;
const sliceMs = numbersAfter(args, '--slice-ms')?.[0] ?? 40;

/** Operations per CPU-second of this process while `fn` runs for about `ms` of CPU time. */
function opsPerCpuSecond(ms: number, fn: () => unknown): number {
  const batch = 500;
  let ops = 0;
  const start = process.cpuUsage();
  let used = 0;
  while (used < ms * 1000) {
    for (let i = 0; i < batch; i++) fn();
    ops += batch;
    const { user, system } = process.cpuUsage(start);
    used = user + system;
  }
  return (ops * 1e6) / used;
}

const quantile = (values: number[], q: number) =>
  [...values].sort((a, b) => a - b)[Math.floor(q * (values.length - 1))]!;

async function main(): Promise<void> {
  const readerSchemas = new Map(EVENT_NAMES.map((e) => [e, loadAvroSchema(e)]));
  // The writer schema a reader meets, parsed as the registry client parses it.
  const source = { schemaById: async () => avroTypeOf(loadAvroSchema('OrderCreated')) };
  const writer = new EventCodec({
    source,
    parse: avroTypeOf,
    readerSchemas,
    writerIds: new Map([['OrderCreated', 1]]),
  });
  const reader = new EventCodec({ source, parse: avroTypeOf, readerSchemas, writerIds: new Map() });
  const order = sampleOrder();
  const avro = avroTypeOf(loadAvroSchema('OrderCreated'));
  const framed = writer.encode('OrderCreated', order);
  await reader.decode(framed); // the one schema lookup; afterwards decodeCached() answers
  const raw = avro.toBuffer(order);
  const pairs: [string, () => unknown, () => unknown][] = [
    ['encode', () => writer.encode('OrderCreated', order), () => avro.toBuffer(order)],
    ['decode', () => reader.decodeCached(framed), () => avro.fromBuffer(raw)],
  ];
  // Warm-up: both sides compiled by the optimizing tier before anything is counted.
  for (const [, codec, avsc] of pairs) [codec, avsc].forEach((fn) => opsPerCpuSecond(200, fn));
  for (const [name, codec, avsc] of pairs) {
    const ratios: number[] = [];
    const codecOps: number[] = [];
    const avscOps: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const first = r % 2 === 0;
      const a = first ? opsPerCpuSecond(sliceMs, codec) : 0;
      const b = opsPerCpuSecond(sliceMs, avsc);
      const c = first ? a : opsPerCpuSecond(sliceMs, codec);
      codecOps.push(c);
      avscOps.push(b);
      ratios.push(c / b);
    }
    const ops = (v: number[]) => Math.round(quantile(v, 0.5)).toLocaleString('en-US');
    console.log(
      `${name}: codec/raw avsc ${quantile(ratios, 0.5).toFixed(2)} (quartiles ${quantile(ratios, 0.25).toFixed(2)}–${quantile(ratios, 0.75).toFixed(2)}, ${rounds} rounds); ` +
        `codec ${ops(codecOps)} ops/CPU-s, raw avsc ${ops(avscOps)} ops/CPU-s`,
    );
  }
}

void main();
