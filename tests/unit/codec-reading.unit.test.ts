// The codec reads the Avro body in place, after the Confluent header, with each kind of writer
// schema (the reader's own, an older version resolved into it, a TopicNameStrategy union): it
// decodes what is whole, and a body cut short or followed by stray bytes is UNDECODABLE.
import { Type } from 'avsc';
import { EventCodec } from '../../services/shared/src/codec';
import { avroTypeOf, loadAvroSchema, loadJsonSchema } from '../../services/shared/src/contracts/avro';
import { PoisonMessageError } from '../../services/shared/src/errors';
import { EVENT_NAMES } from '../../services/shared/src/topics';

type Json = Record<string, unknown>;
const SAME = 7;
const OLDER = 8;
const UNION = 9;

const orderSchema = loadAvroSchema('OrderCreated');
/** OrderCreated as it was before `email` (the reader fills in its default, null). */
const olderSchema = {
  ...orderSchema,
  fields: (orderSchema.fields as Json[]).filter((f) => f.name !== 'email'),
};
const unionSchema = [loadAvroSchema('PaymentCaptured'), orderSchema];

const writers: Record<number, object> = { [SAME]: orderSchema, [OLDER]: olderSchema, [UNION]: unionSchema };
const reader = new EventCodec({
  source: { schemaById: async (id) => writers[id] },
  parse: avroTypeOf,
  readerSchemas: new Map(EVENT_NAMES.map((e) => [e, loadAvroSchema(e)])),
  writerIds: new Map(),
});

const order = (loadJsonSchema('OrderCreated.json').examples as Json[])[0]!;
const header = (id: number) => Buffer.from([0, 0, 0, 0, id]);
const body = avroTypeOf(orderSchema).toBuffer(order);
const olderBody = avroTypeOf(olderSchema).toBuffer(order);
const branch = (index: number) => Type.forSchema('long').toBuffer(index);

async function refusal(message: Buffer): Promise<PoisonMessageError> {
  try {
    await reader.decode(message);
  } catch (e) {
    return e as PoisonMessageError;
  }
  throw new Error('the message decoded');
}

describe.each([
  ['its own schema', header(SAME), body, order],
  ['an older schema', header(OLDER), olderBody, { ...order, email: null }],
  ['a union, on its OrderCreated branch', Buffer.concat([header(UNION), branch(1)]), body, order],
])('a message written with %s', (_writer, before, avro, expected) => {
  test('decodes to the event', async () => {
    const decoded = await reader.decode(Buffer.concat([before, avro]));
    expect(decoded).toEqual({ type: 'OrderCreated', schemaId: before[4], payload: expected });
  });

  test('cut short, is UNDECODABLE as truncated', async () => {
    const err = await refusal(Buffer.concat([before, avro.subarray(0, avro.length - 3)]));
    expect(err).toBeInstanceOf(PoisonMessageError);
    expect(err).toMatchObject({ code: 'UNDECODABLE' });
    expect(err.message).toContain('truncated buffer');
  });

  test('followed by a stray byte, is UNDECODABLE as trailing data', async () => {
    const err = await refusal(Buffer.concat([before, avro, Buffer.from([0])]));
    expect(err).toMatchObject({ code: 'UNDECODABLE' });
    expect(err.message).toContain('trailing data');
  });
});

describe('a message on a union', () => {
  test('that ends before its branch index is UNDECODABLE as truncated', async () => {
    const err = await refusal(Buffer.concat([header(UNION), Buffer.from([0x80])]));
    expect(err).toMatchObject({ code: 'UNDECODABLE' });
    expect(err.message).toContain('truncated buffer');
  });

  test('naming a branch the union does not have is UNDECODABLE', async () => {
    const err = await refusal(Buffer.concat([header(UNION), branch(2), body]));
    expect(err).toMatchObject({ code: 'UNDECODABLE' });
    expect(err.message).toContain('union branch 2 is out of range');
  });
});
