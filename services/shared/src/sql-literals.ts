// Values written into SQL text, for statements that must take no parameters so that they can
// share a round trip with BEGIN or COMMIT (db.ts). A column of values goes in as one array
// literal, so the statement is the same unnest() a parameterised one would be and PostgreSQL
// parses one string per column, not one expression per value. Every value goes through pg's
// quoting rules and the array syntax's escaping, or a check of its shape; nothing else is
// spliced into SQL.

/**
 * An array of `type` (uuid, text, jsonb, ...) holding `values`, each given as its text form, or
 * null for SQL NULL (written unquoted: a quoted "NULL" is the text).
 */
export function arrayLiteral(values: readonly (string | null)[], type: string): string {
  if (!/^[a-z]+$/.test(type)) throw new Error(`not a plain type name: ${type}`);
  // Most columns (ids, base64, names) hold no NULL and nothing to escape: one join, no string per element.
  const plain = !values.some((v) => v === null || ARRAY_SPECIAL.test(v));
  if (plain) {
    const body = values.length === 0 ? '{}' : `{"${values.join('","')}"}`;
    return `${quoted(body)}::${type}[]`;
  }
  const elements = values.map((v) => (v === null ? 'NULL' : `"${v.replace(/[\\"]/g, '\\$&')}"`));
  return `${quoted(`{${elements.join(',')}}`)}::${type}[]`;
}

const ARRAY_SPECIAL = /[\\"]/;

/**
 * A string constant, quoted as pg's escapeLiteral does (quotes and backslashes doubled, E''
 * when there is a backslash, so it reads the same whatever standard_conforming_strings says),
 * but in one native pass: escapeLiteral's character loop took ~15 ms for a chunk's outbox rows.
 */
function quoted(text: string): string {
  const body = text.replace(/['\\]/g, '$&$&');
  return body.includes('\\') ? ` E'${body}'` : `'${body}'`;
}

/** Integers given as numbers or decimal strings (a Kafka offset is a string), as an array. */
export function integerArrayLiteral(values: readonly (number | string)[], type: 'int' | 'bigint'): string {
  const texts = values.map(String);
  const bad = texts.find((t) => !/^-?\d+$/.test(t));
  if (bad !== undefined) throw new Error(`not an integer: ${JSON.stringify(bad)}`);
  return arrayLiteral(texts, type);
}
