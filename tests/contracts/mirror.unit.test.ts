// The Avro mirror and the TypeScript types agree with each JSON Schema, field by field.
// Written independently of the generator, so a generator bug shows up here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAvroSchema, loadJsonSchema } from '../../services/shared/src/contracts/avro';
import { EVENT_NAMES, EVENT_NAMESPACE } from '../../services/shared/src/topics';

type Json = Record<string, unknown>;

/** Every disagreement between a JSON Schema object and an Avro record, as `path: what`. */
function compareRecord(js: Json, av: Json, path: string): string[] {
  const out: string[] = [];
  if (av.type !== 'record') return [`${path}: Avro type ${JSON.stringify(av.type)} is not a record`];
  if (av.doc !== js.description) out.push(`${path}: doc differs from description`);
  const properties = js.properties as Record<string, Json>;
  const required = (js.required ?? []) as string[];
  const fields = av.fields as Json[];
  const names = fields.map((f) => f.name);
  if (JSON.stringify(names) !== JSON.stringify(Object.keys(properties))) {
    out.push(
      `${path}: fields ${names.join(',')} differ from properties ${Object.keys(properties).join(',')}`,
    );
  }
  for (const field of fields) {
    const name = String(field.name);
    const prop = properties[name];
    const at = path ? `${path}.${name}` : name;
    if (!prop) continue;
    if (field.doc !== prop.description) out.push(`${at}: doc differs from description`);
    const types = ([] as unknown[]).concat(prop.type);
    const nullable = types.includes('null');
    const isRequired = required.includes(name);
    let avroType = field.type;
    if (nullable) {
      if (!Array.isArray(avroType) || avroType[0] !== 'null' || avroType.length !== 2) {
        out.push(`${at}: nullable in JSON Schema but not ["null", T] in Avro`);
        continue;
      }
      avroType = avroType[1];
    } else if (Array.isArray(avroType)) {
      out.push(`${at}: a union in Avro but not nullable in JSON Schema`);
      continue;
    }
    if (!isRequired && field.default !== null) out.push(`${at}: optional but Avro default is not null`);
    if (isRequired && !('default' in prop) && 'default' in field)
      out.push(`${at}: required without default, yet Avro has one`);
    if (isRequired && 'default' in prop && field.default !== prop.default)
      out.push(`${at}: Avro default differs`);
    const jsType = types.find((t) => t !== 'null');
    out.push(...compareType(prop, String(jsType), avroType, at));
  }
  return out;
}

function compareType(js: Json, jsType: string, av: unknown, at: string): string[] {
  const expect = (ok: boolean, what: string) =>
    ok ? [] : [`${at}: ${what}, Avro has ${JSON.stringify(av)}`];
  const o = (typeof av === 'object' && av !== null ? av : {}) as Json;
  switch (jsType) {
    case 'string':
      if (js.enum) {
        const symbols = (js.enum as unknown[]).filter((s) => s !== null);
        return expect(
          o.type === 'enum' &&
            JSON.stringify(o.symbols) === JSON.stringify(symbols) &&
            o.default === js.default,
          `enum ${symbols.join('|')} default ${String(js.default)}`,
        );
      }
      if (js.format === 'date-time')
        return expect(o.type === 'long' && o.logicalType === 'timestamp-millis', 'date-time');
      if (js.format === 'uuid') return expect(o.type === 'string' && o.logicalType === 'uuid', 'uuid');
      return expect(av === 'string', 'string');
    case 'integer':
      return expect(
        av === ({ int32: 'int', int64: 'long' } as Json)[String(js.format)],
        `integer ${String(js.format)}`,
      );
    case 'number':
      return expect(av === 'double', 'number');
    case 'boolean':
      return expect(av === 'boolean', 'boolean');
    case 'array': {
      if (o.type !== 'array') return expect(false, 'array');
      const items = js.items as Json;
      return compareType(items, String(items.type), o.items, `${at}[]`);
    }
    case 'object':
      return compareRecord(js, o, at);
    default:
      return [`${at}: JSON Schema type ${jsType} has no mirror`];
  }
}

describe('the Avro mirror', () => {
  it.each(EVENT_NAMES)('avro/%s.avsc agrees with its JSON Schema field by field', (event) => {
    const avsc = loadAvroSchema(event);
    expect({ name: avsc.name, namespace: avsc.namespace }).toEqual({
      name: event,
      namespace: EVENT_NAMESPACE,
    });
    expect(compareRecord(loadJsonSchema(`${event}.json`), avsc, '')).toEqual([]);
  });

  it('reports a disagreement when a field differs (the comparison can fail)', () => {
    const avsc = loadAvroSchema('OrderCreated');
    const fields = (avsc.fields as Json[]).map((f) => (f.name === 'totalCents' ? { ...f, type: 'int' } : f));
    expect(compareRecord(loadJsonSchema('OrderCreated.json'), { ...avsc, fields }, '')).toEqual([
      'totalCents: integer int64, Avro has "int"',
    ]);
  });
});

describe('the generated TypeScript types', () => {
  const source = readFileSync(
    join(__dirname, '..', '..', 'services', 'shared', 'src', 'contracts', 'events.generated.ts'),
    'utf8',
  );

  it.each(EVENT_NAMES)('%s has one member per property, optional exactly where not required', (event) => {
    const body = new RegExp(`export interface ${event} \\{([^}]*)\\}`).exec(source)?.[1] ?? '';
    const members = [...body.matchAll(/^\s+(\w+)(\??):/gm)].map((m) => `${m[1]}${m[2]}`);
    const schema = loadJsonSchema(`${event}.json`);
    const required = schema.required as string[];
    const expected = Object.keys(schema.properties as Json).map((p) => (required.includes(p) ? p : `${p}?`));
    expect(members).toEqual(expected);
  });

  it('maps every event name to its payload type', () => {
    for (const event of EVENT_NAMES) expect(source).toContain(`  ${event}: ${event};`);
  });
});
