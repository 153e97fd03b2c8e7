// The two mirrors of a schema model: an Avro record (DESIGN.md "Event contracts") and
// TypeScript types with exactly the JSON Schema shape (date-times are ISO strings).
import { EVENT_NAMESPACE } from '../../services/shared/src/topics';
import type { AvroSchema } from '../../services/shared/src/contracts/avro';
import type { FieldModel, RecordShape, Shape } from './model';

/** Top-level .avsc attribute marking the file as generated (Avro keeps unknown attributes as metadata). */
export const GENERATED_ATTRIBUTE = 'x-generated';

export function toAvro(record: RecordShape, sourceFile: string): AvroSchema {
  return {
    [GENERATED_ATTRIBUTE]: `from ${sourceFile} by npm run schemas:generate; do not edit by hand`,
    ...avroRecord(record, EVENT_NAMESPACE),
  };
}

function avroRecord(record: RecordShape, namespace?: string): AvroSchema {
  return {
    type: 'record',
    name: record.name,
    ...(namespace ? { namespace } : {}),
    ...(record.doc ? { doc: record.doc } : {}),
    fields: record.fields.map(avroField),
  };
}

// required → plain field; optional → ["null", T] default null; a JSON Schema default on a
// required field becomes the Avro field default (what readers use when a writer lacks it).
function avroField(field: FieldModel): AvroSchema {
  const type = avroType(field.shape);
  const out: AvroSchema = { name: field.name };
  if (field.doc) out.doc = field.doc;
  out.type = field.nullable ? ['null', type] : type;
  if (!field.required) out.default = null;
  else if (field.default) out.default = field.default.value;
  return out;
}

function avroType(shape: Shape): unknown {
  switch (shape.kind) {
    case 'string':
      return shape.uuid ? { type: 'string', logicalType: 'uuid' } : 'string';
    case 'timestamp':
      return { type: 'long', logicalType: 'timestamp-millis' };
    case 'int':
    case 'long':
    case 'float':
    case 'double':
    case 'boolean':
      return shape.kind;
    case 'enum':
      return {
        type: 'enum',
        name: shape.name,
        ...(shape.doc ? { doc: shape.doc } : {}),
        symbols: shape.symbols,
        default: shape.default,
      };
    case 'array':
      return { type: 'array', items: avroType(shape.items) };
    case 'map':
      return { type: 'map', values: avroType(shape.values) };
    case 'record':
      return avroRecord(shape);
    default:
      return assertNever(shape);
  }
}

/** TypeScript declarations for one record and every named type inside it (nested first). */
export function toTypeScript(record: RecordShape): string {
  const out: string[] = [];
  const emitted = new Set<string>();

  function tsType(shape: Shape): string {
    switch (shape.kind) {
      case 'string':
      case 'timestamp':
        return 'string';
      case 'int':
      case 'long':
      case 'float':
      case 'double':
        return 'number';
      case 'boolean':
        return 'boolean';
      case 'enum':
        declare(
          shape.name,
          () => `export type ${shape.name} = ${shape.symbols.map((s) => `'${s}'`).join(' | ')};`,
          shape.doc,
        );
        return shape.name;
      case 'array': {
        const items = tsType(shape.items);
        return /^\w+$/.test(items) ? `${items}[]` : `Array<${items}>`;
      }
      case 'map':
        return `Record<string, ${tsType(shape.values)}>`;
      case 'record':
        declareRecord(shape);
        return shape.name;
      default:
        return assertNever(shape);
    }
  }

  function declare(name: string, body: () => string, doc?: string) {
    if (emitted.has(name)) return;
    emitted.add(name);
    const text = body();
    out.push(`${jsdoc(doc, '')}${text}\n`);
  }

  function declareRecord(shape: RecordShape) {
    const members = shape.fields.map((f) => {
      const type = tsType(f.shape) + (f.nullable ? ' | null' : '');
      return `${jsdoc(f.doc, '  ')}  ${f.name}${f.required ? '' : '?'}: ${type};`;
    });
    declare(shape.name, () => `export interface ${shape.name} {\n${members.join('\n')}\n}`, shape.doc);
  }

  declareRecord(record);
  return out.join('\n');
}

function jsdoc(doc: string | undefined, indent: string): string {
  if (!doc) return '';
  return `${indent}/** ${doc.replace(/\*\//g, '*\\/')} */\n`;
}

function assertNever(value: never): never {
  throw new Error(`unexpected shape ${JSON.stringify(value)}`);
}
