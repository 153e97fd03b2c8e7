// Values written into SQL text, for statements that must take no parameters so that they can
// share a round trip with BEGIN or COMMIT (db.ts). Every value goes through pg's own quoting
// or a check of its shape; nothing else is ever spliced into SQL.
import { escapeLiteral } from 'pg';

export const textLiteral = (value: string): string => escapeLiteral(value);

export const uuidLiteral = (value: string): string => `${escapeLiteral(value)}::uuid`;

export const jsonbLiteral = (value: unknown): string => `${escapeLiteral(JSON.stringify(value))}::jsonb`;

/** Hex through decode(), whatever standard_conforming_strings says. */
export const byteaLiteral = (value: Buffer): string => `decode('${value.toString('hex')}', 'hex')`;

/** An integer given as a number or as a decimal string (a Kafka offset is a string). */
export function integerLiteral(value: number | string): string {
  const text = String(value);
  if (!/^-?\d+$/.test(text)) throw new Error(`not an integer: ${JSON.stringify(value)}`);
  return text;
}
