// A yes/no check of the few keywords an Avro-decoded event can still break (beyond-avro.ts),
// compiled once per contract into one straight-line function. ajv's validator answers the same
// question, but it counts every string's code points twice and keeps error bookkeeping; in the
// codec that was most of what it added to raw Avro. This check only says whether a value passes;
// ajv is still asked for the violations of any value it refuses. It must never accept what ajv
// refuses: it takes ajv's own format definitions and pattern flag, and a keyword or format it
// does not implement makes it decline the whole contract (then ajv checks every value).
// tests/unit/quick-check.unit.test.ts holds it to ajv's answer.
import ucs2length from 'ajv/dist/runtime/ucs2length';

export type QuickCheck = (value: unknown) => boolean;

/** What ajv's `format` keyword is given: a pattern, a function, or either with a value type. */
export type FormatDefinition =
  RegExp | ((value: string) => unknown) | { type?: string; validate?: unknown; async?: boolean };
export type Formats = Readonly<Record<string, FormatDefinition | undefined>>;

/** Keywords that never constrain a value (no `$ref` is compiled, so `$id` changes nothing). */
const ANNOTATIONS = new Set(['$schema', '$id', '$comment', 'title', 'description', 'examples', 'default']);

/** Values the compiled code refers to: patterns, format functions, the length check. */
interface Scope {
  refs: unknown[];
  vars: number;
}

/**
 * The check for a JSON Schema (the output of beyondAvro()), or undefined when the schema uses a
 * keyword or format this check does not implement.
 */
export function quickCheckOf(schema: unknown, formats: Formats): QuickCheck | undefined {
  const scope: Scope = { refs: [lengthWithin], vars: 0 }; // r0
  const body = statements(schema, 'v', scope, formats);
  if (body === undefined) return undefined;
  // Generated from the contract's own keywords, never from the value; like ajv, it compiles.
  const names = scope.refs.map((_, i) => `r${i}`).join(', ');
  const make = new Function(
    'refs',
    `const [${names}] = refs;\nreturn function quickCheck(v) {\n${body}return true;\n};`,
  );
  return make(scope.refs) as QuickCheck;
}

/** Statements that `return false` when the value in `v` breaks `schema`. */
function statements(schema: unknown, v: string, scope: Scope, formats: Formats): string | undefined {
  if (schema === true) return '';
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return undefined;
  const s = schema as Record<string, unknown>;
  let code = '';
  for (const [key, value] of Object.entries(s)) {
    if (ANNOTATIONS.has(key)) continue;
    const part = keyword(key, value, s, v, scope, formats);
    if (part === undefined) return undefined;
    code += part;
  }
  return code;
}

function keyword(
  key: string,
  value: unknown,
  schema: Record<string, unknown>,
  v: string,
  scope: Scope,
  formats: Formats,
): string | undefined {
  const ref = (r: unknown) => `r${scope.refs.push(r) - 1}`;
  switch (key) {
    case 'properties': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
      let code = `if (${v} !== null && typeof ${v} === 'object' && !Array.isArray(${v})) {\n`;
      for (const [name, property] of Object.entries(value)) {
        const p = `p${scope.vars++}`;
        const inner = statements(property, p, scope, formats);
        if (inner === undefined) return undefined;
        code += `const ${p} = ${v}[${JSON.stringify(name)}];\nif (${p} !== undefined) {\n${inner}}\n`;
      }
      return `${code}}\n`;
    }
    case 'items': {
      const i = `i${scope.vars++}`;
      const e = `e${scope.vars++}`;
      const inner = statements(value, e, scope, formats);
      if (inner === undefined) return undefined;
      return `if (Array.isArray(${v})) for (let ${i} = 0; ${i} < ${v}.length; ${i}++) {\nconst ${e} = ${v}[${i}];\n${inner}}\n`;
    }
    case 'minItems':
    case 'maxItems':
    case 'minLength':
    case 'maxLength': {
      const items = key.endsWith('Items');
      const [minKey, maxKey] = items ? ['minItems', 'maxItems'] : ['minLength', 'maxLength'];
      if (key === maxKey && schema[minKey] !== undefined) return ''; // checked with its minimum
      const [min, max] = [schema[minKey] ?? 0, schema[maxKey] ?? Infinity];
      if (!isLimit(min) || !isLimit(max)) return undefined;
      const upper = max === Infinity ? 'Infinity' : String(max);
      return items
        ? `if (Array.isArray(${v}) && !(${v}.length >= ${min} && ${v}.length <= ${upper})) return false;\n`
        : `if (typeof ${v} === 'string' && !r0(${v}, ${min}, ${upper})) return false;\n`;
    }
    case 'pattern': {
      if (typeof value !== 'string') return undefined;
      const run = asciiRun(value);
      if (run) return `if (typeof ${v} === 'string' && !${ref(run)}(${v})) return false;\n`;
      // ajv's unicodeRegExp default
      return `if (typeof ${v} === 'string' && !${ref(new RegExp(value, 'u'))}.test(${v})) return false;\n`;
    }
    case 'format': {
      const test = typeof value === 'string' ? formatTest(formats[value]) : undefined;
      if (!test) return undefined;
      return `if (typeof ${v} === 'string' && !${ref(test.target)}${test.call}(${v})) return false;\n`;
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
      const op = { minimum: '>=', maximum: '<=', exclusiveMinimum: '>', exclusiveMaximum: '<' }[key];
      // As ajv: only finite numbers are compared.
      return `if (typeof ${v} === 'number' && Number.isFinite(${v}) && !(${v} ${op} ${value})) return false;\n`;
    }
    default:
      return undefined;
  }
}

const isLimit = (n: unknown) => n === Infinity || (Number.isSafeInteger(n) && (n as number) >= 0);

/** How ajv runs a string format: a pattern's test() or a synchronous function. */
function formatTest(definition: FormatDefinition | undefined): { target: unknown; call: string } | undefined {
  let validate: unknown = definition;
  if (typeof definition === 'object' && !(definition instanceof RegExp)) {
    if ((definition.type ?? 'string') !== 'string' || definition.async) return undefined;
    validate = definition.validate;
  }
  if (validate instanceof RegExp) {
    if (validate.global || validate.sticky) return undefined; // test() would move lastIndex
    return { target: validate, call: '.test' };
  }
  return typeof validate === 'function' ? { target: validate, call: '' } : undefined;
}

/**
 * JSON Schema counts code points (ajv: ucs2length). A string has at most as many code points as
 * UTF-16 units and at least half as many, so most strings are settled by `length` alone.
 */
export function lengthWithin(value: string, min: number, max: number): boolean {
  const units = value.length;
  if (units <= max && (units + 1) >>> 1 >= min) return true;
  const codePoints = ucs2length(value);
  return codePoints >= min && codePoints <= max;
}

/**
 * A pattern that is one bracket class of ASCII letters, digits, `_` and `-` repeated (`^[A-Z]{3}$`,
 * `^[A-Za-z0-9_-]+$`), as a loop over the string: it matches exactly what the `u` regular
 * expression matches (a non-ASCII unit is outside the class either way, and on ASCII strings code
 * points are units), without a regular expression's cost per call. Undefined for any other pattern.
 */
export function asciiRun(pattern: string): ((value: string) => boolean) | undefined {
  const parts = /^\^\[((?:[A-Za-z0-9]-[A-Za-z0-9]|[A-Za-z0-9_])*)(-?)\](\+|\*|\{(\d+)(,(\d*))?\})\$$/.exec(
    pattern,
  );
  if (!parts) return undefined;
  const [, body, dash, quantifier, n, comma, m] = parts;
  const table = new Uint8Array(128);
  for (const [, from, to, one] of body!.matchAll(/([A-Za-z0-9])-([A-Za-z0-9])|([A-Za-z0-9_])/g)) {
    const [lo, hi] = one ? [one.charCodeAt(0), one.charCodeAt(0)] : [from!.charCodeAt(0), to!.charCodeAt(0)];
    if (lo > hi) return undefined; // the regular expression itself would not compile
    table.fill(1, lo, hi + 1);
  }
  if (dash) table[45] = 1;
  const min = quantifier === '+' ? 1 : quantifier === '*' ? 0 : Number(n);
  const max = quantifier === '+' || quantifier === '*' || (comma && !m) ? Infinity : comma ? Number(m) : min;
  if (min > max) return undefined;
  return (value) => {
    const length = value.length;
    if (length < min || length > max) return false;
    for (let i = 0; i < length; i++) {
      const c = value.charCodeAt(i);
      if (c > 127 || table[c] === 0) return false;
    }
    return true;
  };
}
