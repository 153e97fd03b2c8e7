// Reads a JSON Schema into a small model that both emitters (Avro, TypeScript) use.
// Anything the Avro mirror could not carry faithfully is a problem naming the file, the
// JSON pointer and what to do instead: nothing is silently approximated.

export interface Problem {
  file: string;
  pointer: string;
  problem: string;
  fix: string;
}

export function formatProblem(p: Problem): string {
  return `${p.file}#${p.pointer}: ${p.problem} — ${p.fix}`;
}

export type Shape =
  | { kind: 'string'; uuid: boolean }
  | { kind: 'timestamp' } // format date-time
  | { kind: 'int' | 'long' | 'float' | 'double' | 'boolean' }
  | { kind: 'enum'; name: string; doc?: string; symbols: string[]; default?: string }
  | { kind: 'array'; items: Shape }
  | { kind: 'map'; values: Shape }
  | RecordShape;

export interface RecordShape {
  kind: 'record';
  name: string;
  doc?: string;
  fields: FieldModel[];
}

export interface FieldModel {
  name: string;
  doc?: string;
  shape: Shape;
  required: boolean;
  nullable: boolean;
  /** The JSON Schema `default`, when one is given. */
  default?: { value: unknown };
}

type Json = Record<string, unknown>;

// Annotations and value constraints: JSON Schema validates them; Avro carries the structure
// (types, names, optionality, enums), not value ranges or string patterns.
const ANNOTATIONS = new Set(['$schema', '$id', '$comment', 'title', 'description', 'examples', 'deprecated']);
const VALUE_CONSTRAINTS = new Set([
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'uniqueItems',
]);
const STRUCTURE = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'format',
  'default',
]);

const UNSUPPORTED: Record<string, string> = {
  $ref: 'inline the definition; nested records are named after their field',
  $defs: 'inline the definitions; nested records are named after their field',
  oneOf: 'model alternatives as optional fields or an enum; Avro unions of records cannot mirror oneOf',
  anyOf: 'model alternatives as optional fields or an enum; for an optional field use "type": ["T", "null"]',
  allOf: 'inline the combined properties into one object',
  not: 'Avro cannot express negation; validate it in code',
  if: 'Avro cannot express conditional schemas; split the event or validate in code',
  then: 'Avro cannot express conditional schemas; split the event or validate in code',
  else: 'Avro cannot express conditional schemas; split the event or validate in code',
  const: 'use an enum (with a default symbol) or a plain typed field',
  patternProperties: 'use "additionalProperties": <schema> for a map with any string keys',
  propertyNames: 'Avro map keys are any string; drop propertyNames or use a record',
  prefixItems: 'Avro arrays are homogeneous; use an array of records',
  contains: 'Avro arrays cannot express contains; validate it in code',
  dependentRequired: 'Avro cannot express dependent fields; validate it in code',
  dependentSchemas: 'Avro cannot express dependent schemas; validate it in code',
  unevaluatedProperties: 'use "additionalProperties": false',
  unevaluatedItems: 'use "items"',
  minProperties: 'Avro records have fixed fields; drop it',
  maxProperties: 'Avro records have fixed fields; drop it',
  readOnly: 'events have no read-only fields; drop it',
  writeOnly: 'events have no write-only fields; drop it',
  contentEncoding: 'use a plain string',
  contentMediaType: 'use a plain string',
};

export const DRAFT_2020_12 = 'https://json-schema.org/draft/2020-12/schema';

const AVRO_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface ReadOptions {
  /** Relative path used in problems, e.g. schemas/OrderCreated.json. */
  file: string;
  /** Name of the top-level record (the event, or the request type). */
  name: string;
  /** true for events (mirrored in Avro); false for TypeScript-only schemas such as requests. */
  avro: boolean;
}

export interface ReadResult {
  record?: RecordShape;
  problems: Problem[];
}

/** Reads a top-level JSON Schema object into a record model, collecting every problem. */
export function readSchema(schema: unknown, options: ReadOptions): ReadResult {
  const problems: Problem[] = [];
  const names = new Map<string, string>(); // named type → pointer that defined it
  const report = (pointer: string, problem: string, fix: string) =>
    problems.push({ file: options.file, pointer, problem, fix });

  function claimName(name: string, pointer: string): void {
    const previous = names.get(name);
    if (previous !== undefined) {
      report(pointer, `derived type name ${name} is already used at ${previous}`, 'rename one of the fields');
    }
    names.set(name, pointer);
  }

  function checkKeywords(node: Json, pointer: string): void {
    for (const key of Object.keys(node)) {
      if (ANNOTATIONS.has(key) || VALUE_CONSTRAINTS.has(key) || STRUCTURE.has(key)) continue;
      const fix = UNSUPPORTED[key];
      if (fix) report(`${pointer}/${escape(key)}`, `"${key}" cannot be mirrored in Avro`, fix);
      else report(`${pointer}/${escape(key)}`, `unknown keyword "${key}"`, 'remove it or fix its spelling');
    }
  }

  function readObject(node: Json, pointer: string, name: string): RecordShape | undefined {
    const properties = node.properties;
    if (!isObject(properties)) return undefined;
    if (node.additionalProperties !== false) {
      report(
        pointer,
        'an object with properties must set "additionalProperties": false',
        'add "additionalProperties": false (an open object cannot be mirrored as an Avro record)',
      );
    }
    const required = node.required ?? [];
    if (!Array.isArray(required) || required.some((r) => typeof r !== 'string')) {
      report(
        `${pointer}/required`,
        '"required" must be an array of property names',
        'list the required properties',
      );
      return undefined;
    }
    for (const r of required as string[]) {
      if (!(r in properties))
        report(`${pointer}/required`, `"${r}" is required but not a property`, 'define it or drop it');
    }
    claimName(name, pointer);
    const fields: FieldModel[] = [];
    for (const [prop, sub] of Object.entries(properties)) {
      const field = readField(
        sub,
        `${pointer}/properties/${escape(prop)}`,
        prop,
        name,
        required.includes(prop),
      );
      if (field) fields.push(field);
    }
    return { kind: 'record', name, doc: docOf(node), fields };
  }

  function readField(node: unknown, pointer: string, prop: string, parent: string, required: boolean) {
    if (!AVRO_NAME.test(prop)) {
      report(
        pointer,
        `property name "${prop}" is not a valid Avro field name`,
        'use letters, digits and _ only',
      );
      return undefined;
    }
    if (!isObject(node)) {
      report(pointer, 'a property must be a schema object', 'give it a "type" and a "description"');
      return undefined;
    }
    if (typeof node.description !== 'string' || node.description.trim() === '') {
      report(pointer, 'the field has no description', 'add a "description" saying what the field means');
    }
    const typed = typesOf(node, pointer);
    if (!typed) return undefined;
    const { type, nullable } = typed;
    if (options.avro && !required && !nullable) {
      report(
        pointer,
        'an optional field must also allow null',
        `write "type": ["${type}", "null"]: Avro decodes an absent optional field as null, and the decoded event must still validate`,
      );
    }
    const field: FieldModel = {
      name: prop,
      doc: docOf(node),
      required,
      nullable,
      shape: { kind: 'boolean' },
    };
    if ('default' in node) {
      if (options.avro && (nullable || !required) && node.default !== null) {
        report(
          `${pointer}/default`,
          'a nullable or optional field can only default to null in Avro ("null" is the first union branch)',
          'drop the default, or make the field required and not nullable',
        );
      }
      field.default = { value: node.default };
    }
    const shape = readShape(node, type, nullable, pointer, parent + pascal(prop), prop, required);
    if (!shape) return undefined;
    field.shape = shape;
    return field;
  }

  function typesOf(node: Json, pointer: string): { type: string; nullable: boolean } | undefined {
    const types = Array.isArray(node.type) ? (node.type as unknown[]) : [node.type];
    if (node.type === undefined || types.some((t) => typeof t !== 'string')) {
      report(pointer, 'missing or invalid "type"', 'give every schema an explicit "type"');
      return undefined;
    }
    const nonNull = (types as string[]).filter((t) => t !== 'null');
    if (nonNull.length !== 1) {
      report(
        `${pointer}/type`,
        `type ${JSON.stringify(node.type)} cannot be mirrored in Avro`,
        'use exactly one type, plus "null" for an optional field',
      );
      return undefined;
    }
    return { type: nonNull[0] as string, nullable: nonNull.length < types.length };
  }

  function readShape(
    node: Json,
    type: string,
    nullable: boolean,
    pointer: string,
    name: string,
    prop: string,
    required: boolean,
  ): Shape | undefined {
    checkKeywords(node, pointer);
    const format = node.format;
    const money = /cents$/i.test(prop);
    if (money && options.avro && !(type === 'integer' && format === 'int64')) {
      report(
        pointer,
        'money must be integer cents',
        'write "type": "integer", "format": "int64" (Avro long) plus a currency code field; never a float',
      );
    }
    switch (type) {
      case 'string':
        if (node.enum !== undefined) return readEnum(node, nullable, pointer, name, required);
        if (format === 'date-time') return { kind: 'timestamp' };
        return { kind: 'string', uuid: format === 'uuid' };
      case 'integer':
        if (format === 'int32') return { kind: 'int' };
        if (format === 'int64' || !options.avro) return { kind: 'long' };
        report(
          pointer,
          'an integer needs a size',
          'add "format": "int32" (Avro int) or "format": "int64" (Avro long)',
        );
        return undefined;
      case 'number':
        return { kind: format === 'float' ? 'float' : 'double' };
      case 'boolean':
        return { kind: 'boolean' };
      case 'array': {
        const items = node.items;
        if (!isObject(items)) {
          report(pointer, 'an array needs an "items" schema', 'describe the element type in "items"');
          return undefined;
        }
        const typed = typesOf(items, `${pointer}/items`);
        if (!typed) return undefined;
        if (typed.nullable) {
          report(`${pointer}/items`, 'array elements cannot be null', 'drop "null" from the items type');
        }
        const shape = readShape(items, typed.type, false, `${pointer}/items`, singular(name), prop, true);
        return shape && { kind: 'array', items: shape };
      }
      case 'object': {
        if (node.properties !== undefined) return readObject(node, pointer, name);
        if (isObject(node.additionalProperties)) {
          const values = node.additionalProperties;
          const typed = typesOf(values, `${pointer}/additionalProperties`);
          if (!typed) return undefined;
          const shape = readShape(
            values,
            typed.type,
            false,
            `${pointer}/additionalProperties`,
            `${name}Value`,
            prop,
            true,
          );
          return shape && { kind: 'map', values: shape };
        }
        report(
          pointer,
          'an object needs "properties" (an Avro record) or "additionalProperties": <schema> (an Avro map)',
          'declare its properties',
        );
        return undefined;
      }
      default:
        report(
          `${pointer}/type`,
          `type "${type}" cannot be mirrored in Avro`,
          'use string, integer, number, boolean, array or object',
        );
        return undefined;
    }
  }

  function readEnum(
    node: Json,
    nullable: boolean,
    pointer: string,
    name: string,
    required: boolean,
  ): Shape | undefined {
    const values = node.enum;
    if (!Array.isArray(values) || values.length === 0) {
      report(`${pointer}/enum`, '"enum" must be a non-empty array', 'list the symbols');
      return undefined;
    }
    if (nullable && !values.includes(null)) {
      report(`${pointer}/enum`, 'a nullable enum must list null', 'add null to "enum"');
    }
    const symbols = values.filter((v) => v !== null);
    for (const symbol of symbols) {
      if (typeof symbol !== 'string' || !AVRO_NAME.test(symbol)) {
        report(
          `${pointer}/enum`,
          `enum value ${JSON.stringify(symbol)} is not a valid Avro symbol`,
          'use letters, digits and _ only',
        );
        return undefined;
      }
    }
    const fallback = node.default;
    if (options.avro && (typeof fallback !== 'string' || !symbols.includes(fallback))) {
      report(
        pointer,
        'an enum needs a default symbol',
        required && !nullable
          ? 'add "default": "<one of the symbols>" (readers map symbols they do not know to it, e.g. UNKNOWN)'
          : 'make the enum field required with a "default" symbol; an optional field can only default to null',
      );
    }
    claimName(name, pointer);
    return {
      kind: 'enum',
      name,
      doc: docOf(node),
      symbols: symbols as string[],
      default: typeof fallback === 'string' ? fallback : undefined,
    };
  }

  if (!isObject(schema) || schema.type !== 'object') {
    report(
      '',
      'the document must be a JSON Schema with "type": "object"',
      'start from an existing schema in schemas/',
    );
    return { problems };
  }
  checkKeywords(schema, '');
  if (schema.$schema !== DRAFT_2020_12) {
    report('/$schema', 'not a draft 2020-12 schema', `set "$schema": "${DRAFT_2020_12}"`);
  }
  if (schema.title !== options.name) {
    report('/title', `"title" must be ${options.name}, the file's name`, `set "title": "${options.name}"`);
  }
  if (typeof schema.description !== 'string' || schema.description.trim() === '') {
    report('/description', 'the schema has no description', 'say what fact this event records');
  }
  if (!Array.isArray(schema.examples) || schema.examples.length < 2) {
    report('/examples', 'fewer than two examples', 'add at least two realistic examples');
  }
  const record = readObject(schema, '', options.name);
  if (!record && problems.length === 0) report('/properties', 'no properties', 'declare the fields');
  return { record, problems };
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function docOf(node: Json): string | undefined {
  return typeof node.description === 'string' ? node.description : undefined;
}

function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

// items → Item, so OrderCreated.items[] is the record OrderCreatedItem.
function singular(name: string): string {
  return name.length > 1 && name.endsWith('s') ? name.slice(0, -1) : `${name}Item`;
}

function escape(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
