// The codec's quick check of what Avro cannot express answers exactly as ajv does for the same
// contract: over every event's examples with each field, in turn, replaced by values that break
// or stretch a format, pattern, length, range or item count, and over strings whose code points
// and UTF-16 units differ. A value it accepted and ajv refused would be published or consumed
// unchecked.
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import ucs2length from 'ajv/dist/runtime/ucs2length';
import { beyondAvro } from '../../services/shared/src/beyond-avro';
import { loadJsonSchema } from '../../services/shared/src/contracts/avro';
import { asciiRun, lengthWithin, quickCheckOf, type Formats } from '../../services/shared/src/quick-check';
import { avroDecodedValidatorFor } from '../../services/shared/src/validation';
import { EVENT_NAMES } from '../../services/shared/src/topics';

// As validation.ts configures the ajv that checks Avro-decoded values.
const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false });
addFormats(ajv, { mode: 'fast' });
const formats = ajv.formats as Formats;

const uuid = '6f1c2b7e-3d4a-4f5b-9c8d-1e2f3a4b5c6d';
const grin = '\u{1F600}'; // one code point, two UTF-16 units
const STRINGS = [
  '',
  'a',
  'a b',
  'EUR',
  'eur',
  'EU',
  'EURO',
  'É',
  uuid,
  uuid.toUpperCase(),
  `urn:uuid:${uuid}`,
  `URN:UUID:${uuid}`,
  `${uuid}0`,
  uuid.replace('-', '_'),
  'ada@example.com',
  'not an address',
  'a@b',
  `${'a'.repeat(250)}@b.c`,
  'x'.repeat(64),
  'x'.repeat(65),
  grin.repeat(64),
  grin.repeat(65),
  '\ud83d'.repeat(64),
  '\ud83d'.repeat(65),
  `a${grin}`,
  '2024-05-01T10:15:30.000Z',
  '2024-05-01T10:15:30.0001Z',
  '+010000-01-01T00:00:00.000Z',
  '-000001-12-31T23:59:59.999Z',
  'sku-espresso-beans',
  'line\nbreak',
];
const NUMBERS = [0, -0, 1, -1, 0.5, -0.5, 100, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, NaN, Infinity, -Infinity];
const OTHERS = [null, true, [], {}, [1], { a: 1 }];

/** The value with the thing at `path` replaced. */
function replaced(value: unknown, path: (string | number)[], by: unknown): unknown {
  if (path.length === 0) return by;
  const [head, ...rest] = path;
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<
    string | number,
    unknown
  >;
  copy[head!] = replaced(copy[head!], rest, by);
  return copy;
}

/** Every path in a JSON value, the value itself first. */
function pathsOf(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [at];
  const children = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return [at, ...children.flatMap((key) => pathsOf((value as Record<string, unknown>)[key], [...at, key]))];
}

/** Each example of an event, and every variant with one path replaced by a stretching value. */
function variantsOf(example: Record<string, unknown>): unknown[] {
  const variants: unknown[] = [example];
  for (const path of pathsOf(example)) {
    const here = path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], example);
    for (const by of [...STRINGS, ...NUMBERS, ...OTHERS]) variants.push(replaced(example, path, by));
    if (Array.isArray(here)) {
      variants.push(
        replaced(
          example,
          path,
          Array.from({ length: 100 }, () => here[0]),
        ),
      );
      variants.push(
        replaced(
          example,
          path,
          Array.from({ length: 101 }, () => here[0]),
        ),
      );
    }
  }
  return variants;
}

describe('the quick check of what Avro cannot express', () => {
  test.each(EVENT_NAMES)('given %s, it accepts and refuses exactly the values ajv does', (event) => {
    const contract = loadJsonSchema(`${event}.json`);
    const kept = beyondAvro(contract) as Record<string, unknown>;
    const quick = quickCheckOf(kept, formats);
    expect(quick).toBeDefined(); // every event's contract is within what it implements
    const byAjv = ajv.compile(kept);
    let refused = 0;
    for (const example of (contract.examples ?? []) as Record<string, unknown>[]) {
      for (const value of variantsOf(example)) {
        const expected = byAjv(value);
        if (quick!(value) !== expected)
          throw new Error(`quick check says ${!expected} for ${JSON.stringify(value)}`);
        if (!expected) refused++;
      }
    }
    expect(refused).toBeGreaterThan(0);
  });

  test('given a keyword or format it does not implement, it declines the contract', () => {
    expect(quickCheckOf({ properties: { a: { anyOf: [{ minLength: 1 }] } } }, formats)).toBeUndefined();
    expect(quickCheckOf({ properties: { a: { format: 'no-such-format' } } }, formats)).toBeUndefined();
    expect(quickCheckOf({ properties: { a: { format: 'int32' } } }, formats)).toBeUndefined(); // a number format
    expect(quickCheckOf({ properties: { a: { minLength: 1.5 } } }, formats)).toBeUndefined();
  });

  test('a property named like a keyword is a property', () => {
    const quick = quickCheckOf(
      { properties: { pattern: { maxLength: 1 }, "it's": { minLength: 2 } } },
      formats,
    )!;
    expect(quick({ pattern: 'ab' })).toBe(false);
    expect(quick({ "it's": 'a' })).toBe(false);
    expect(quick({ pattern: 'a', "it's": 'ab' })).toBe(true);
  });

  test('given strings of every mix of units and code points, lengthWithin counts code points as ajv does', () => {
    const pieces = ['a', grin, '\ud83d', '\ude00'];
    let level = [''];
    const strings = [''];
    for (let n = 1; n <= 5; n++) {
      level = level.flatMap((s) => pieces.map((p) => s + p));
      strings.push(...level);
    }
    for (const s of strings)
      for (let min = 0; min <= 6; min++)
        for (const max of [0, 1, 2, 3, 4, 5, 6, 10, Infinity]) {
          const n = ucs2length(s);
          if (lengthWithin(s, min, max) !== (n >= min && n <= max))
            throw new Error(`lengthWithin(${JSON.stringify(s)}, ${min}, ${max})`);
        }
  });

  test('given a pattern that is one repeated ASCII class, its loop matches exactly what the u regular expression does', () => {
    const alphabet = [
      'A',
      'Z',
      'a',
      'z',
      '0',
      '9',
      '_',
      '-',
      '@',
      '[',
      '`',
      '{',
      '/',
      ':',
      ' ',
      'É',
      '\u0100',
      grin,
      '\ud83d',
      '\ude00',
    ];
    let level = [''];
    const strings = [''];
    for (let n = 1; n <= 4; n++) {
      level = level.flatMap((s) => alphabet.map((c) => s + c));
      for (const s of level) strings.push(s);
    }
    strings.push('x'.repeat(64), `${'x'.repeat(63)}É`);
    const patterns = [
      '^[A-Za-z0-9_-]+$',
      '^[A-Z]{3}$',
      '^[a-z]*$',
      '^[Z-a]{2,}$',
      '^[_0-9]{1,3}$',
      '^[A-Z-]{0}$',
      '^[a-]{2}$',
    ];
    for (const pattern of patterns) {
      const run = asciiRun(pattern);
      expect(run).toBeDefined();
      const regExp = new RegExp(pattern, 'u');
      for (const s of strings)
        if (run!(s) !== regExp.test(s)) throw new Error(`${pattern} on ${JSON.stringify(s)}: ${run!(s)}`);
    }
    for (const other of [
      '^[A-Z]{3}',
      '[A-Z]{3}$',
      '^[^A-Z]+$',
      '^[A-Z]+?$',
      '^[A-Z]{3}x$',
      '^[\\w]+$',
      '^[z-a]+$',
      '^[a]{3,2}$',
    ])
      expect(asciiRun(other)).toBeUndefined();
  });

  test('a decoded value it refuses is still explained by ajv, naming where', () => {
    const validator = avroDecodedValidatorFor('OrderCreated.json');
    const example = (loadJsonSchema('OrderCreated.json').examples as Record<string, unknown>[])[0]!;
    expect(validator.check(example)).toEqual([]);
    expect(validator.check({ ...example, orderId: grin.repeat(65) })).toEqual([
      expect.objectContaining({ path: '/orderId' }),
      expect.objectContaining({ path: '/orderId' }),
    ]);
  });
});
