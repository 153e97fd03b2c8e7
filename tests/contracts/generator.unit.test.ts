// The generator mirrors what it can faithfully and refuses the rest, naming the file, the
// JSON pointer and what to do.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Problem, readSchema } from '../../scripts/schemas/model';
import { addProperty, copyContracts, editJson, schemasCli } from './cli';

const event = (properties: Record<string, unknown>, required: string[] = Object.keys(properties)) => ({
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'Probe',
  description: 'A probe event.',
  type: 'object',
  properties,
  required,
  additionalProperties: false,
  examples: [{}, {}],
});
const problemsOf = (schema: unknown): Problem[] =>
  readSchema(schema, { file: 'schemas/Probe.json', name: 'Probe', avro: true }).problems;

describe('the JSON Schema → Avro generator refuses what it cannot mirror faithfully', () => {
  const cases: {
    construct: string;
    properties: Record<string, unknown>;
    required?: string[];
    pointer: string;
    fix: RegExp;
  }[] = [
    {
      construct: 'oneOf',
      properties: { v: { description: 'v', type: 'string', oneOf: [{ minLength: 1 }, { maxLength: 0 }] } },
      pointer: '/properties/v/oneOf',
      fix: /optional fields or an enum/,
    },
    {
      construct: '$ref',
      properties: { v: { description: 'v', type: 'object', $ref: '#/$defs/x' } },
      pointer: '/properties/v/$ref',
      fix: /inline the definition/,
    },
    {
      construct: 'an integer without a size',
      properties: { v: { description: 'v', type: 'integer' } },
      pointer: '/properties/v',
      fix: /"format": "int32".*"format": "int64"/,
    },
    {
      construct: 'an optional field that does not allow null',
      properties: { v: { description: 'v', type: 'string' } },
      required: [],
      pointer: '/properties/v',
      fix: /\["string", "null"\]/,
    },
    {
      construct: 'an enum without a default symbol',
      properties: { v: { description: 'v', type: 'string', enum: ['A', 'B'] } },
      pointer: '/properties/v',
      fix: /"default": "<one of the symbols>"/,
    },
    {
      construct: 'money as a float',
      properties: { totalCents: { description: 'v', type: 'number' } },
      pointer: '/properties/totalCents',
      fix: /never a float/,
    },
    {
      construct: 'an open object',
      properties: {
        v: { description: 'v', type: 'object', properties: { a: { description: 'a', type: 'string' } } },
      },
      pointer: '/properties/v',
      fix: /"additionalProperties": false/,
    },
    {
      construct: 'a union of two types',
      properties: { v: { description: 'v', type: ['string', 'integer'] } },
      pointer: '/properties/v/type',
      fix: /exactly one type/,
    },
    {
      construct: 'an undescribed field',
      properties: { v: { type: 'string' } },
      pointer: '/properties/v',
      fix: /add a "description"/,
    },
    {
      construct: 'an unknown keyword',
      properties: { v: { description: 'v', type: 'string', minimun: 3 } },
      pointer: '/properties/v/minimun',
      fix: /fix its spelling/,
    },
    {
      construct: 'an enum symbol Avro cannot name',
      properties: { v: { description: 'v', type: 'string', enum: ['in-stock', 'gone'], default: 'gone' } },
      pointer: '/properties/v/enum',
      fix: /letters, digits and _/,
    },
  ];

  it.each(cases)('$construct fails with file, pointer and fix', ({ properties, required, pointer, fix }) => {
    const problems = problemsOf(event(properties, required));
    expect(problems).toContainEqual(
      expect.objectContaining({ file: 'schemas/Probe.json', pointer, fix: expect.stringMatching(fix) }),
    );
  });

  it('accepts the constructs it mirrors', () => {
    const problems = problemsOf(
      event(
        {
          id: { description: 'id', type: 'string', format: 'uuid' },
          at: { description: 'at', type: 'string', format: 'date-time' },
          n: { description: 'n', type: 'integer', format: 'int32', minimum: 0 },
          amountCents: { description: 'm', type: 'integer', format: 'int64' },
          note: { description: 'note', type: ['string', 'null'] },
          tags: { description: 'tags', type: 'object', additionalProperties: { type: 'string' } },
          kind: { description: 'kind', type: 'string', enum: ['A', 'UNKNOWN'], default: 'UNKNOWN' },
          lines: {
            description: 'lines',
            type: 'array',
            items: {
              type: 'object',
              properties: { sku: { description: 'sku', type: 'string' } },
              required: ['sku'],
              additionalProperties: false,
            },
          },
        },
        ['id', 'at', 'n', 'amountCents', 'tags', 'kind', 'lines'],
      ),
    );
    expect(problems).toEqual([]);
  });
});

describe('npm run schemas:generate', () => {
  it('fails on an unmirrorable schema, printing file, pointer and fix, and writes nothing', () => {
    const root = copyContracts();
    addProperty(
      root,
      'OrderCreated',
      'discount',
      { description: 'd', type: 'number', anyOf: [{ minimum: 0 }] },
      true,
    );
    const before = readFileSync(join(root, 'avro', 'OrderCreated.avsc'), 'utf8');
    const result = schemasCli(['generate', '--root', root]);
    expect(result.status).toBe(1);
    expect(result.output).toContain(
      'schemas/OrderCreated.json#/properties/discount/anyOf: "anyOf" cannot be mirrored in Avro',
    );
    expect(readFileSync(join(root, 'avro', 'OrderCreated.avsc'), 'utf8')).toBe(before);
  });

  it('--check passes when generated files are fresh and fails naming each stale one', () => {
    const root = copyContracts();
    expect(schemasCli(['generate', '--check', '--root', root]).status).toBe(0);

    editJson(join(root, 'schemas', 'EmailSent.json'), (json) => {
      json.description = 'Notifications sent an email about an order (reworded).';
    });
    writeFileSync(join(root, 'avro', 'Stray.avsc'), '{}');
    const result = schemasCli(['generate', '--check', '--root', root]);
    expect(result.status).toBe(1);
    expect(result.output).toContain('avro/EmailSent.avsc');
    expect(result.output).toContain('services/shared/src/contracts/events.generated.ts');
    expect(result.output).toContain('avro/Stray.avsc (no schemas/*.json generates it; delete it)');
    expect(result.output).not.toContain('avro/OrderCreated.avsc');
  });

  it('regenerates exactly the committed files (generation is deterministic)', () => {
    const root = copyContracts();
    const result = schemasCli(['generate', '--root', root]);
    expect(result.output).toContain('(0 changed)');
  });
});
