// Schema-evolution cases with the verdict the Avro specification's resolution rules give at
// each Confluent level. Shared by the offline test (our checker) and the int test (the live
// registry), so both are held to the same table.
import type { CompatibilityLevel } from '../../services/shared/src/contracts/levels';

type Schema = Record<string, unknown>;

export interface EvolutionCase {
  name: string;
  /** Released versions, oldest first. */
  history: Schema[];
  next: Schema;
  /** Can the new schema read data written by the latest (BACKWARD) / every (…_TRANSITIVE) version? */
  backward: boolean;
  /** Can the latest (FORWARD) / every (…_TRANSITIVE) version read data written by the new schema? */
  forward: boolean;
  backwardTransitive?: boolean;
  forwardTransitive?: boolean;
  /** A field path an incompatible verdict must name. */
  path?: string;
}

const rec = (fields: unknown[], extra: Schema = {}): Schema => ({
  type: 'record',
  name: 'Evo',
  namespace: 'orderflow.test',
  fields,
  ...extra,
});
const f = (name: string, type: unknown, extra: Schema = {}) => ({ name, type, ...extra });
const id = f('id', 'string');
const base = rec([id, f('qty', 'int')]);
const withQty = (type: unknown) => rec([id, f('qty', type)]);
const enumOf = (symbols: string[], extra: Schema = {}) => ({
  type: 'enum',
  name: 'Status',
  symbols,
  ...extra,
});
const withStatus = (e: unknown) => rec([id, f('status', e)]);
const line = (fields: unknown[]) => ({ type: 'record', name: 'Line', fields });

export const EVOLUTION_CASES: EvolutionCase[] = [
  { name: 'an unchanged schema', history: [base], next: base, backward: true, forward: true },
  {
    name: 'adding an optional field with default null',
    history: [base],
    next: rec([id, f('qty', 'int'), f('note', ['null', 'string'], { default: null })]),
    backward: true,
    forward: true,
  },
  {
    name: 'adding a required field without a default',
    history: [base],
    next: rec([id, f('qty', 'int'), f('note', 'string')]),
    backward: false,
    forward: true,
    path: 'note',
  },
  {
    name: 'adding a required field with a default',
    history: [base],
    next: rec([id, f('qty', 'int'), f('note', 'string', { default: '' })]),
    backward: true,
    forward: true,
  },
  {
    name: 'removing a field that has no default',
    history: [base],
    next: rec([id]),
    backward: true,
    forward: false,
    path: 'qty',
  },
  {
    name: 'removing a field that has a default',
    history: [rec([id, f('note', 'string', { default: '' })])],
    next: rec([id]),
    backward: true,
    forward: true,
  },
  {
    name: 'reordering fields',
    history: [base],
    next: rec([f('qty', 'int'), id]),
    backward: true,
    forward: true,
  },
  {
    name: 'changing only docs',
    history: [base],
    next: rec([f('id', 'string', { doc: 'the id' }), f('qty', 'int')], { doc: 'now documented' }),
    backward: true,
    forward: true,
  },
  {
    name: 'promoting int to long',
    history: [base],
    next: withQty('long'),
    backward: true,
    forward: false,
    path: 'qty',
  },
  {
    name: 'narrowing long to int',
    history: [withQty('long')],
    next: base,
    backward: false,
    forward: true,
    path: 'qty',
  },
  {
    name: 'promoting int to float',
    history: [base],
    next: withQty('float'),
    backward: true,
    forward: false,
    path: 'qty',
  },
  {
    name: 'promoting long to double',
    history: [withQty('long')],
    next: withQty('double'),
    backward: true,
    forward: false,
    path: 'qty',
  },
  {
    name: 'promoting float to double',
    history: [withQty('float')],
    next: withQty('double'),
    backward: true,
    forward: false,
    path: 'qty',
  },
  {
    name: 'narrowing double to float',
    history: [withQty('double')],
    next: withQty('float'),
    backward: false,
    forward: true,
    path: 'qty',
  },
  {
    name: 'changing string to bytes',
    history: [withQty('string')],
    next: withQty('bytes'),
    backward: true,
    forward: true,
  },
  {
    name: 'changing bytes to string',
    history: [withQty('bytes')],
    next: withQty('string'),
    backward: true,
    forward: true,
  },
  {
    name: 'changing int to string',
    history: [base],
    next: withQty('string'),
    backward: false,
    forward: false,
    path: 'qty',
  },
  {
    name: 'changing int to boolean',
    history: [base],
    next: withQty('boolean'),
    backward: false,
    forward: false,
    path: 'qty',
  },
  {
    name: 'changing a logical type only (timestamp-millis to plain long)',
    history: [withQty({ type: 'long', logicalType: 'timestamp-millis' })],
    next: withQty('long'),
    backward: true,
    forward: true,
  },
  {
    name: 'adding an enum symbol, no enum default',
    history: [withStatus(enumOf(['A', 'B']))],
    next: withStatus(enumOf(['A', 'B', 'C'])),
    backward: true,
    forward: false,
    path: 'status',
  },
  {
    name: 'adding an enum symbol, both versions with an enum default',
    history: [withStatus(enumOf(['A', 'B', 'UNKNOWN'], { default: 'UNKNOWN' }))],
    next: withStatus(enumOf(['A', 'B', 'C', 'UNKNOWN'], { default: 'UNKNOWN' })),
    backward: true,
    forward: true,
  },
  {
    name: 'removing an enum symbol, no enum default',
    history: [withStatus(enumOf(['A', 'B', 'C']))],
    next: withStatus(enumOf(['A', 'B'])),
    backward: false,
    forward: true,
    path: 'status',
  },
  {
    name: 'removing an enum symbol, with an enum default',
    history: [withStatus(enumOf(['A', 'B', 'C'], { default: 'A' }))],
    next: withStatus(enumOf(['A', 'B'], { default: 'A' })),
    backward: true,
    forward: true,
  },
  {
    name: 'adding an enum default and a symbol at once (old readers have no default)',
    history: [withStatus(enumOf(['A', 'B']))],
    next: withStatus(enumOf(['A', 'B', 'C'], { default: 'A' })),
    backward: true,
    forward: false,
    path: 'status',
  },
  {
    name: 'renaming an enum without an alias',
    history: [withStatus(enumOf(['A', 'B']))],
    next: withStatus({ type: 'enum', name: 'State', symbols: ['A', 'B'] }),
    backward: false,
    forward: false,
    path: 'status',
  },
  {
    name: 'adding an enum field with an enum default but no field default',
    history: [base],
    next: rec([id, f('qty', 'int'), f('status', enumOf(['A', 'UNKNOWN'], { default: 'UNKNOWN' }))]),
    backward: false, // the enum default covers unknown symbols, not a missing field
    forward: true,
    path: 'status',
  },
  {
    name: 'renaming the record with an alias for the old name',
    history: [base],
    next: { ...base, name: 'Evolved', aliases: ['orderflow.test.Evo'] },
    backward: true,
    forward: false,
  },
  {
    name: 'renaming the record without an alias',
    history: [base],
    next: { ...base, name: 'Evolved' },
    backward: false,
    forward: false,
  },
  {
    name: 'moving the record to another namespace (same unqualified name)',
    history: [base],
    next: { ...base, namespace: 'orderflow.moved' },
    backward: true, // the spec and Avro Java match records by unqualified name
    forward: true,
  },
  {
    name: 'renaming a field with an alias for the old name',
    history: [base],
    next: rec([id, f('quantity', 'int', { aliases: ['qty'] })]),
    backward: true,
    forward: false, // old readers want qty; writer aliases do not count
    path: 'qty',
  },
  {
    name: 'renaming a field without an alias but with a default',
    history: [base],
    next: rec([id, f('quantity', 'int', { default: 0 })]),
    backward: true,
    forward: false,
    path: 'qty',
  },
  {
    name: 'making a required field optional (string to [null, string])',
    history: [base],
    next: rec([f('id', ['null', 'string'], { default: null }), f('qty', 'int')]),
    backward: true,
    forward: false, // old readers cannot read the null branch
    path: 'id',
  },
  {
    name: 'making an optional field required ([null, string] to string)',
    history: [rec([f('id', ['null', 'string'], { default: null })])],
    next: rec([id]),
    backward: false,
    forward: true,
    path: 'id',
  },
  {
    name: 'adding a union branch',
    history: [rec([id, f('note', ['null', 'string'], { default: null })])],
    next: rec([id, f('note', ['null', 'string', 'int'], { default: null })]),
    backward: true,
    forward: false,
    path: 'note',
  },
  {
    name: 'removing a union branch',
    history: [rec([id, f('note', ['null', 'string', 'int'], { default: null })])],
    next: rec([id, f('note', ['null', 'string'], { default: null })]),
    backward: false,
    forward: true,
    path: 'note',
  },
  {
    name: 'wrapping int into a [null, long] union',
    history: [base],
    next: rec([id, f('qty', ['null', 'long'], { default: null })]),
    backward: true, // int is promoted into the long branch
    forward: false,
    path: 'qty',
  },
  {
    name: 'promoting inside a union ([null, int] to [null, long])',
    history: [rec([id, f('qty', ['null', 'int'], { default: null })])],
    next: rec([id, f('qty', ['null', 'long'], { default: null })]),
    backward: true,
    forward: false,
    path: 'qty',
  },
  {
    name: 'adding a required field without a default inside a nested record',
    history: [rec([id, f('line', line([f('sku', 'string')]))])],
    next: rec([id, f('line', line([f('sku', 'string'), f('qty', 'int')]))]),
    backward: false,
    forward: true,
    path: 'line.qty',
  },
  {
    name: 'adding an optional field inside array items',
    history: [rec([id, f('lines', { type: 'array', items: line([f('sku', 'string')]) })])],
    next: rec([
      id,
      f('lines', {
        type: 'array',
        items: line([f('sku', 'string'), f('note', ['null', 'string'], { default: null })]),
      }),
    ]),
    backward: true,
    forward: true,
  },
  {
    name: 'a nested record inside a union gaining a required field',
    history: [rec([id, f('line', ['null', line([f('sku', 'string')])], { default: null })])],
    next: rec([id, f('line', ['null', line([f('sku', 'string'), f('qty', 'int')])], { default: null })]),
    backward: false,
    forward: true,
    path: 'line',
  },
  {
    name: 'promoting array items from int to long',
    history: [rec([id, f('tags', { type: 'array', items: 'int' })])],
    next: rec([id, f('tags', { type: 'array', items: 'long' })]),
    backward: true,
    forward: false,
    path: 'tags[]',
  },
  {
    name: 'changing map values from string to int',
    history: [rec([id, f('attrs', { type: 'map', values: 'string' })])],
    next: rec([id, f('attrs', { type: 'map', values: 'int' })]),
    backward: false,
    forward: false,
    path: 'attrs{}',
  },
  {
    name: 'promoting map values from int to double',
    history: [rec([id, f('attrs', { type: 'map', values: 'int' })])],
    next: rec([id, f('attrs', { type: 'map', values: 'double' })]),
    backward: true,
    forward: false,
    path: 'attrs{}',
  },
  {
    name: 'changing the size of a fixed',
    history: [rec([id, f('hash', { type: 'fixed', name: 'Hash', size: 16 })])],
    next: rec([id, f('hash', { type: 'fixed', name: 'Hash', size: 32 })]),
    backward: false,
    forward: false,
    path: 'hash',
  },
  {
    name: 'renaming a fixed with an alias for the old name',
    history: [rec([id, f('hash', { type: 'fixed', name: 'Hash', size: 16 })])],
    next: rec([id, f('hash', { type: 'fixed', name: 'Digest', size: 16, aliases: ['orderflow.test.Hash'] })]),
    backward: true,
    forward: false,
    path: 'hash',
  },
  {
    name: 'changing a record field into an array',
    history: [rec([id, f('line', line([f('sku', 'string')]))])],
    next: rec([id, f('line', { type: 'array', items: line([f('sku', 'string')]) })]),
    backward: false,
    forward: false,
    path: 'line',
  },
  {
    name: 'dropping a default that only the middle version added',
    history: [rec([id]), rec([id, f('note', 'string', { default: '' })])],
    next: rec([id, f('note', 'string')]),
    backward: true,
    forward: true,
    backwardTransitive: false, // v1 data has no note, and the new reader has no default
    forwardTransitive: true,
    path: 'note',
  },
  {
    name: 'removing a field that only the middle version gave a default',
    history: [rec([id, f('note', 'string')]), rec([id, f('note', 'string', { default: '' })])],
    next: rec([id]),
    backward: true,
    forward: true,
    backwardTransitive: true,
    forwardTransitive: false, // the v1 reader needs note and has no default
    path: 'note',
  },
  {
    name: 'widening twice (int, long, double)',
    history: [base, withQty('long')],
    next: withQty('double'),
    backward: true,
    forward: false,
    backwardTransitive: true,
    forwardTransitive: false,
    path: 'qty',
  },
  {
    name: 'narrowing back to int after int to long',
    history: [base, withQty('long')],
    // Not v1 again: a registry answers a schema already in the subject with its existing id,
    // without any compatibility check (see registry.int.test.ts). Apicurio also treats a
    // doc-only difference as the same schema, so the new version adds a field.
    next: rec([id, f('qty', 'int'), f('note', ['null', 'string'], { default: null })]),
    backward: false,
    forward: true,
    backwardTransitive: false,
    forwardTransitive: true,
    path: 'qty',
  },
];

/** The verdict a case expects at a level (FULL = both directions; NONE accepts everything). */
export function expectedVerdict(c: EvolutionCase, level: CompatibilityLevel): boolean {
  const bt = c.backwardTransitive ?? c.backward;
  const ft = c.forwardTransitive ?? c.forward;
  switch (level) {
    case 'BACKWARD':
      return c.backward;
    case 'FORWARD':
      return c.forward;
    case 'FULL':
      return c.backward && c.forward;
    case 'BACKWARD_TRANSITIVE':
      return bt;
    case 'FORWARD_TRANSITIVE':
      return ft;
    case 'FULL_TRANSITIVE':
      return bt && ft;
    case 'NONE':
      return true;
  }
}
