// Decoded events are checked only for what their Avro mirror cannot express (formats, patterns,
// lengths, ranges): every example still decodes, and every such rule still dead-letters.
import { Type } from 'avsc';
import { beyondAvro } from '../../services/shared/src/beyond-avro';
import { EventCodec } from '../../services/shared/src/codec';
import { avroTypeOf, loadAvroSchema, loadJsonSchema } from '../../services/shared/src/contracts/avro';
import { PoisonMessageError } from '../../services/shared/src/errors';
import { EVENT_NAMES, type EventName } from '../../services/shared/src/topics';

const WRITER_ID = 7;
type Json = Record<string, unknown>;

/** A reader that knows no writer ids; the writer schema comes from this in-memory source. */
function readerOf(event: EventName): EventCodec {
  return new EventCodec({
    source: { schemaById: async (id) => (id === WRITER_ID ? loadAvroSchema(event) : undefined) },
    parse: avroTypeOf,
    readerSchemas: new Map(EVENT_NAMES.map((e) => [e, loadAvroSchema(e)])),
    writerIds: new Map(),
  });
}

/** Confluent framing around Avro bytes that no orderflow writer validated. */
function framed(event: EventName, value: Json): Buffer {
  const header = Buffer.alloc(5);
  header.writeInt32BE(WRITER_ID, 1);
  return Buffer.concat([header, (avroTypeOf(loadAvroSchema(event)) as Type).toBuffer(value)]);
}

const examplesOf = (event: EventName) => (loadJsonSchema(`${event}.json`).examples ?? []) as Json[];
const anOrder = () => ({ ...examplesOf('OrderCreated')[0]! });

describe('beyondAvro', () => {
  const kept = JSON.stringify(beyondAvro(loadJsonSchema('OrderCreated.json')));

  test('drops what Avro enforces: types, required fields, closed records, enums, int and timestamp formats', () => {
    for (const keyword of ['"type"', '"required"', '"additionalProperties"', '"int64"', '"date-time"'])
      expect(kept).not.toContain(keyword);
    expect(JSON.stringify(beyondAvro(loadJsonSchema('EmailSent.json')))).not.toContain('"enum"');
  });

  test('keeps what Avro cannot express: formats, patterns, lengths, ranges, item counts', () => {
    for (const keyword of ['"uuid"', '"email"', '"pattern"', '"maxLength"', '"minimum"', '"minItems"'])
      expect(kept).toContain(keyword);
  });

  test('keeps a field that is named like a keyword', () => {
    expect(beyondAvro({ properties: { type: { minLength: 1, type: 'string' } } })).toEqual({
      properties: { type: { minLength: 1 } },
    });
  });
});

describe('a decoded event', () => {
  test.each(EVENT_NAMES.flatMap((e) => examplesOf(e).map((example, i) => [e, i, example] as const)))(
    'given %s example %i written by a foreign writer, when decoded, then it is accepted',
    async (event, _i, example) => {
      const decoded = await readerOf(event).decode(framed(event, { ...example }));
      expect(decoded.type).toBe(event);
    },
  );

  test.each([
    ['a currency that is no ISO code', '/currency', { currency: 'eur' }],
    ['an email that is no address', '/email', { email: 'not an address' }],
    ['an event id that is no uuid', '/eventId', { eventId: 'e-1' }],
    ['an order id with a space', '/orderId', { orderId: 'a b' }],
    ['a negative total', '/totalCents', { totalCents: -1 }],
    ['no order lines', '/items', { items: [] }],
  ])(
    'given an OrderCreated with %s, when decoded, then it is refused as INVALID_EVENT naming %s',
    async (_what, path, change) => {
      const decoding = readerOf('OrderCreated').decode(framed('OrderCreated', { ...anOrder(), ...change }));
      await expect(decoding).rejects.toBeInstanceOf(PoisonMessageError);
      await expect(decoding).rejects.toMatchObject({ code: 'INVALID_EVENT' });
      await expect(decoding).rejects.toThrow(path);
    },
  );
});
