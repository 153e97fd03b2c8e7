// Our own events are encoded with only the checks Avro cannot make (formats, patterns, lengths,
// ranges) plus what writing the Avro record checks itself (types, enums, required fields): an
// event that breaks either is still refused, naming where, and nothing is written.
import { EventCodec } from '../../services/shared/src/codec';
import { avroTypeOf, loadAvroSchema, loadJsonSchema } from '../../services/shared/src/contracts/avro';
import { OrderflowError } from '../../services/shared/src/errors';
import { EVENT_NAMES, type EventName } from '../../services/shared/src/topics';

type Json = Record<string, unknown>;

/** A codec that writes every event (with made-up schema ids) and reads its own writes. */
const codec = new EventCodec({
  source: { schemaById: async () => undefined },
  parse: avroTypeOf,
  readerSchemas: new Map(EVENT_NAMES.map((e) => [e, loadAvroSchema(e)])),
  writerIds: new Map(EVENT_NAMES.map((e, i) => [e, 100 + i])),
});

const examplesOf = (event: EventName) => (loadJsonSchema(`${event}.json`).examples ?? []) as Json[];
const anOrder = (): Json => structuredClone(examplesOf('OrderCreated')[0]!);
const withLine = (change: Json): Json => {
  const order = anOrder();
  const [first, ...rest] = order.items as Json[];
  return { ...order, items: [{ ...first, ...change }, ...rest] };
};

function refusal(payload: Json): OrderflowError {
  try {
    codec.encode('OrderCreated', payload);
  } catch (e) {
    return e as OrderflowError;
  }
  throw new Error('the event was encoded');
}

function refusedNaming(_what: string, path: string, change: Json): void {
  const err = refusal({ ...anOrder(), ...change });
  expect(err).toBeInstanceOf(OrderflowError);
  expect(err.message).toBe('refusing to publish an invalid OrderCreated');
  expect(err.details).toContainEqual(expect.objectContaining({ path }));
}

test.each(EVENT_NAMES.flatMap((e) => examplesOf(e).map((example, i) => [e, i, example] as const)))(
  'given %s example %i, when encoded, then it decodes back to the same event',
  (event, _i, example) => {
    const decoded = codec.decodeCached(codec.encode(event, example));
    expect(decoded).toMatchObject({ type: event, payload: example });
  },
);

describe('given an OrderCreated that breaks a rule Avro cannot express', () => {
  test.each([
    ['an email that is no address', '/email', { email: 'not an address' }],
    ['an event id that is no uuid', '/eventId', { eventId: 'e-1' }],
    ['a currency that is no ISO code', '/currency', { currency: 'eur' }],
    ['a negative total', '/totalCents', { totalCents: -1 }],
    ['no order lines', '/items', { items: [] }],
    ['a line of quantity 0', '/items/0/quantity', withLine({ quantity: 0 })],
    ['a time finer than a millisecond', '/occurredAt', { occurredAt: '2026-01-01T00:00:00.0001Z' }],
  ])('with %s, when encoded, then it is refused naming %s', refusedNaming);
});

describe('given an OrderCreated that breaks its Avro type', () => {
  test.each([
    ['a quantity that is a string', '/items/0/quantity', withLine({ quantity: '2' })],
    ['a fractional total', '/totalCents', { totalCents: 1.5 }],
    ['no customer', '/customerId', { customerId: undefined }],
    ['a time that is no date-time', '/occurredAt', { occurredAt: 'yesterday' }],
  ])('with %s, when encoded, then it is refused naming %s', refusedNaming);
});

test('given a PaymentDeclined with a reason outside its enum, when encoded, then it is refused naming the reason', () => {
  const declined = structuredClone(examplesOf('PaymentDeclined')[0]!);
  expect(() => codec.encode('PaymentDeclined', { ...declined, reason: 'NO_SUCH_REASON' })).toThrow(
    'refusing to publish an invalid PaymentDeclined',
  );
});
