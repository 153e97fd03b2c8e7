import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { avroTypeOf, loadAvroSchema, loadJsonSchema } from '../../services/shared/src/contracts/avro';
import { EVENT_NAMES, type EventName } from '../../services/shared/src/topics';

// The same settings services use to validate HTTP bodies and decoded events.
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);

type Json = Record<string, unknown>;
const jsonSchemaOf = (event: EventName) => loadJsonSchema(`${event}.json`);
/** A compiled validator per schema ($id), as services keep them. */
function validatorOf(schema: Json) {
  return ajv.getSchema(String(schema.$id)) ?? ajv.compile(schema);
}
const valid = (schema: Json, value: unknown) => validatorOf(schema)(value) as boolean;
const examplesOf = (event: EventName) => (jsonSchemaOf(event).examples ?? []) as Json[];
const cases = EVENT_NAMES.flatMap((event) => examplesOf(event).map((example, i) => ({ event, i, example })));

/** Avro has no "absent": an omitted optional field decodes as null (the contract allows both). */
function withNulls(event: EventName, value: Json): Json {
  const properties = jsonSchemaOf(event).properties as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(properties).map((k) => [k, value[k] === undefined ? null : value[k]]),
  );
}

describe('every JSON Schema example', () => {
  it.each(EVENT_NAMES)('%s has at least two examples', (event) => {
    expect(examplesOf(event).length).toBeGreaterThanOrEqual(2);
  });

  it.each(cases)('$event example $i validates against its JSON Schema', ({ event, example }) => {
    const validate = validatorOf(jsonSchemaOf(event));
    expect(validate(example) ? [] : validate.errors).toEqual([]);
  });

  it.each(cases)(
    '$event example $i round-trips through its Avro schema to an equal object',
    ({ event, example }) => {
      const type = avroTypeOf(loadAvroSchema(event));
      const decoded = type.fromBuffer(type.toBuffer(example)) as Json;
      expect({ ...decoded }).toEqual(withNulls(event, example));
      // and what comes out of Avro still satisfies the JSON Schema
      expect(valid(jsonSchemaOf(event), JSON.parse(JSON.stringify(decoded)))).toBe(true);
    },
  );

  it('the CreateOrderRequest examples validate against their JSON Schema', () => {
    const schema = loadJsonSchema('requests/CreateOrderRequest.json');
    const examples = schema.examples as Json[];
    expect(examples.length).toBeGreaterThanOrEqual(2);
    for (const example of examples) expect(valid(schema, example)).toBe(true);
  });
});

// Each mutation breaks the contract in a way both JSON Schema and Avro can see.
const MUTATIONS: { name: string; apply(event: Json): Json | undefined }[] = [
  { name: 'a required field missing', apply: ({ orderId: _, ...rest }) => rest },
  { name: 'a required field null', apply: (e) => ({ ...e, orderId: null }) },
  { name: 'eventId of the wrong type', apply: (e) => ({ ...e, eventId: 42 }) },
  { name: 'an undeclared field', apply: (e) => ({ ...e, surprise: 'x' }) },
  { name: 'occurredAt not a date-time', apply: (e) => ({ ...e, occurredAt: 'yesterday' }) },
  {
    name: 'an item field of the wrong type',
    apply: (e) =>
      Array.isArray(e.items) ? { ...e, items: [{ ...(e.items[0] as Json), itemId: 7 }] } : undefined,
  },
  {
    name: 'a float amount',
    apply: (e) =>
      'amountCents' in e
        ? { ...e, amountCents: 12.5 }
        : 'totalCents' in e
          ? { ...e, totalCents: 12.5 }
          : undefined,
  },
  {
    name: 'an unknown enum symbol',
    apply: (e) =>
      'reason' in e ? { ...e, reason: 'BORED' } : 'kind' in e ? { ...e, kind: 'POSTCARD' } : undefined,
  },
];

const invalidCases = EVENT_NAMES.flatMap((event) =>
  MUTATIONS.flatMap((m) => {
    const value = m.apply(examplesOf(event)[0] as Json);
    return value ? [{ event, mutation: m.name, value }] : [];
  }),
);

describe('invalid events', () => {
  it.each(invalidCases)(
    '$event with $mutation is rejected by JSON Schema and by Avro',
    ({ event, value }) => {
      expect(valid(jsonSchemaOf(event), value)).toBe(false);
      const type = avroTypeOf(loadAvroSchema(event));
      expect(type.isValid(value, { noUndeclaredFields: true })).toBe(false);
    },
  );

  // Avro carries structure, not value ranges: services validate the JSON Schema as well.
  it('a zero quantity is rejected by JSON Schema though Avro could carry it', () => {
    const example = examplesOf('OrderCreated')[0] as Json;
    const value = { ...example, items: [{ ...(example.items as Json[])[0], quantity: 0 }] };
    expect(valid(jsonSchemaOf('OrderCreated'), value)).toBe(false);
    expect(avroTypeOf(loadAvroSchema('OrderCreated')).isValid(value)).toBe(true);
  });
});

describe('date-times on the wire', () => {
  const type = avroTypeOf(loadAvroSchema('OrderCreated'));
  const example = examplesOf('OrderCreated')[0] as Json;

  it('are Avro longs in epoch milliseconds (timestamp-millis)', () => {
    const longReader = avroTypeOf({
      type: 'record',
      name: 'OrderCreated',
      namespace: 'orderflow.events',
      fields: [
        { name: 'eventId', type: 'string' },
        { name: 'orderId', type: 'string' },
        { name: 'occurredAt', type: 'long' },
      ],
    });
    const asLong = longReader.fromBuffer(type.toBuffer(example), longReader.createResolver(type)) as Json;
    expect(asLong.occurredAt).toBe(Date.parse('2024-05-01T10:15:30.000Z'));
  });

  it('an offset date-time decodes as the same instant in UTC', () => {
    const decoded = type.fromBuffer(
      type.toBuffer({ ...example, occurredAt: '2024-05-01T12:15:30.5+02:00' }),
    ) as Json;
    expect(decoded.occurredAt).toBe('2024-05-01T10:15:30.500Z');
  });

  it('a date-time more precise than a millisecond is refused, not rounded', () => {
    expect(() => type.toBuffer({ ...example, occurredAt: '2024-05-01T10:15:30.123456Z' })).toThrow();
    expect(
      valid(jsonSchemaOf('OrderCreated'), { ...example, occurredAt: '2024-05-01T10:15:30.123456Z' }),
    ).toBe(false);
  });

  it('data written with a plain long timestamp reads as an ISO string', () => {
    const writer = avroTypeOf({ type: 'record', name: 'T', fields: [{ name: 'at', type: 'long' }] });
    const reader = avroTypeOf({
      type: 'record',
      name: 'T',
      fields: [{ name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } }],
    });
    const buffer = writer.toBuffer({ at: Date.parse('2024-05-01T10:15:30.000Z') });
    expect(reader.fromBuffer(buffer, reader.createResolver(writer))).toMatchObject({
      at: '2024-05-01T10:15:30.000Z',
    });
  });
});

describe('the committed .avsc files', () => {
  it.each(EVENT_NAMES)('avro/%s.avsc says it is generated', (event) => {
    const text = readFileSync(join(__dirname, '..', '..', 'avro', `${event}.avsc`), 'utf8');
    expect(JSON.parse(text)['x-generated']).toMatch(/do not edit/);
  });
});
