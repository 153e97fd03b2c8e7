// JSON Schema validation (draft 2020-12) for HTTP bodies and decoded events alike.
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beyondAvro } from './beyond-avro';
import { quickCheckOf, type Formats, type QuickCheck } from './quick-check';
import { REPO_ROOT } from './root';

export const SCHEMAS_DIR = join(REPO_ROOT, 'schemas');

export interface Violation {
  /** JSON pointer of the failing value ('' for the document itself). */
  path: string;
  message: string;
}

export type Validator<T> = ((value: unknown) => value is T) & { check(value: unknown): Violation[] };

const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
const compiled = new Map<string, ValidateFunction>();

// Decoded events are checked only for what Avro cannot express (beyond-avro.ts); without their
// `type` keywords strict mode would flag every length and pattern, and formats take ajv-formats'
// fast regular expressions. HTTP input keeps the full schema above.
const afterAvro = new Ajv2020({ allErrors: true, strict: true, strictTypes: false });
addFormats(afterAvro, { mode: 'fast' });

function readSchema(relativePath: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(SCHEMAS_DIR, relativePath), 'utf8')) as Record<string, unknown>;
}

/** A validator for `schemas/<relativePath>`, compiled once per process. */
export function validatorFor<T>(relativePath: string): Validator<T> {
  let validate = compiled.get(relativePath);
  if (!validate) {
    const schema = readSchema(relativePath);
    validate = ajv.getSchema(String(schema.$id ?? '')) ?? ajv.compile(schema);
    compiled.set(relativePath, validate);
  }
  return validatorOf(validate);
}

/**
 * A validator for a schema given as a document (say, the next version of a contract during a
 * rolling upgrade); its `$id`, if any, must differ from every schema under schemas/.
 */
export function validatorOfSchema<T>(schema: object): Validator<T> {
  const { $id } = schema as { $id?: string };
  return validatorOf(($id && ajv.getSchema($id)) || ajv.compile(schema));
}

/**
 * A validator for values that an Avro reader of the contract (a path under schemas/, or the
 * document) has already decoded: it checks only what the Avro schema cannot guarantee.
 */
export function avroDecodedValidatorFor<T>(contract: string | object): Validator<T> {
  const schema = typeof contract === 'string' ? readSchema(contract) : contract;
  const { $id } = schema as { $id?: string };
  const existing = $id ? afterAvro.getSchema($id) : undefined;
  const kept = beyondAvro(existing ? existing.schema : schema);
  const validate = existing ?? afterAvro.compile(kept as object);
  // ajv still names the violations of whatever the quick check refuses.
  return validatorOf(validate, quickCheckOf(kept, afterAvro.formats as Formats));
}

function validatorOf<T>(validate: ValidateFunction, quick?: QuickCheck): Validator<T> {
  const valid = quick
    ? (value: unknown) => quick(value) || (validate(value) as boolean)
    : (value: unknown) => validate(value) as boolean;
  return Object.assign(valid as (value: unknown) => value is T, {
    check: (value: unknown) => (valid(value) ? [] : (validate.errors ?? []).map(toViolation)),
  });
}

function toViolation(error: ErrorObject): Violation {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required') {
    return { path: `${error.instancePath}/${String(params.missingProperty)}`, message: 'is required' };
  }
  if (error.keyword === 'additionalProperties') {
    return { path: `${error.instancePath}/${String(params.additionalProperty)}`, message: 'is not allowed' };
  }
  return { path: error.instancePath, message: error.message ?? error.keyword };
}
