// Runtime Avro for orderflow events. Event objects have exactly their JSON Schema shape,
// so date-time fields are ISO-8601 strings in memory and Avro longs (timestamp-millis)
// on the wire; the logical type below converts between the two.
import * as avro from 'avsc';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../root';
import type { EventName } from '../topics';

export { REPO_ROOT };

/** An .avsc document as parsed JSON. */
export type AvroSchema = Record<string, unknown>;

// RFC 3339 date-time, as JSON Schema's `format: date-time` accepts it.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Parses an RFC 3339 date-time to epoch milliseconds. Throws rather than rounding when
 * the value is more precise than a millisecond: Avro timestamp-millis could not carry it.
 */
export function isoToMillis(value: string): number {
  const match = RFC3339.exec(value);
  if (!match) throw new Error(`not an RFC 3339 date-time: ${JSON.stringify(value)}`);
  const fraction = match[7] ?? '';
  if (/[1-9]/.test(fraction.slice(4))) {
    throw new Error(`date-time ${value} is more precise than the milliseconds Avro timestamp-millis carries`);
  }
  const millis = Date.parse(value);
  if (Number.isNaN(millis)) throw new Error(`not a valid date-time: ${JSON.stringify(value)}`);
  return millis;
}

/** `long` + `timestamp-millis` on the wire, ISO-8601 UTC string (`toISOString()`) in memory. */
export class IsoTimestampMillis extends avro.types.LogicalType {
  protected override _fromValue(millis: number): string {
    return new Date(millis).toISOString();
  }

  // Returning undefined makes avsc report the value as invalid (isValid false, encode throws).
  protected override _toValue(value: unknown): number | undefined {
    if (typeof value === 'string') return isoToMillis(value);
    return undefined;
  }

  // Reading data written with another schema: a plain long or int holds millis; a writer
  // parsed with this same logical type has already produced the ISO string.
  protected override _resolve(writer: avro.Type): ((value: unknown) => string) | undefined {
    if (avro.Type.isType(writer, 'logical:timestamp-millis')) return (value) => value as string;
    if (avro.Type.isType(writer, 'long', 'int')) return (value) => this._fromValue(value as number);
    return undefined;
  }
}

const LOGICAL_TYPES = { 'timestamp-millis': IsoTimestampMillis };

/** An avsc Type for an .avsc document, with orderflow's runtime representation. */
export function avroTypeOf(schema: object | string): avro.Type {
  const json: unknown = typeof schema === 'string' ? JSON.parse(schema) : schema;
  // Plain records: avsc's record methods are enumerable and would break additionalProperties: false.
  return avro.Type.forSchema(
    json as avro.Schema,
    { logicalTypes: LOGICAL_TYPES, omitRecordMethods: true } as Partial<avro.ForSchemaOptions>,
  );
}

/** Reads avro/<Event>.avsc (generated from schemas/<Event>.json). */
export function loadAvroSchema(event: EventName, rootDir = REPO_ROOT): AvroSchema {
  return JSON.parse(readFileSync(join(rootDir, 'avro', `${event}.avsc`), 'utf8')) as AvroSchema;
}

/** Reads schemas/<relativePath> (e.g. `OrderCreated.json`, `requests/CreateOrderRequest.json`). */
export function loadJsonSchema(relativePath: string, rootDir = REPO_ROOT): Record<string, unknown> {
  return JSON.parse(readFileSync(join(rootDir, 'schemas', relativePath), 'utf8')) as Record<string, unknown>;
}
