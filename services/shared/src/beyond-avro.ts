// What an event's JSON Schema asks beyond what its Avro mirror already guarantees. A decoded
// Avro record always has its fields, its types and its enum symbols (the generator maps
// `required`, `type`, `enum`, int32/int64 and date-time onto Avro), so checking them again
// costs time and proves nothing; formats, patterns, lengths and ranges Avro cannot express.

/** Keywords the Avro mirror enforces (or that never constrain a value). */
const ENFORCED_BY_AVRO = new Set([
  'type',
  'required',
  'additionalProperties',
  'enum',
  'default',
  'examples',
  'description',
  'title',
  '$comment',
]);
const AVRO_FORMATS = new Set(['int32', 'int64', 'date-time']);

/** The part of a JSON Schema (draft 2020-12) that an Avro-decoded value can still break. */
export function beyondAvro(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(beyondAvro);
  if (schema === null || typeof schema !== 'object') return schema;
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (ENFORCED_BY_AVRO.has(key)) continue;
    if (key === 'format' && AVRO_FORMATS.has(value as string)) continue;
    // These map names to schemas: their keys are field names, never keywords.
    kept[key] =
      key === 'properties' || key === '$defs'
        ? Object.fromEntries(Object.entries(value as object).map(([name, s]) => [name, beyondAvro(s)]))
        : beyondAvro(value);
  }
  return kept;
}
