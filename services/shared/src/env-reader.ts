// How a variable is read: typed parsers, `NAME_FILE` for mounted secrets, and one ConfigError
// listing every bad value. config.ts says which variables a service reads.
import { readFileSync } from 'node:fs';
import { ConfigError } from './errors';

export type Env = Readonly<Record<string, string | undefined>>;

/** Parses one variable; throws a string naming the problem. */
type Field<T> = (raw: string | undefined) => T;

function required<T>(parse: (raw: string) => T, fallback?: T): Field<T> {
  return (raw) => {
    if (raw === undefined || raw === '') {
      if (fallback === undefined) throw 'is required';
      return fallback;
    }
    return parse(raw);
  };
}

function optional<T>(parse: (raw: string) => T): Field<T | undefined> {
  return (raw) => (raw === undefined || raw === '' ? undefined : parse(raw));
}

const parsers = {
  text: (raw: string) => raw,
  int:
    (min: number, max: number) =>
    (raw: string): number => {
      const n = Number(raw);
      if (!/^-?\d+$/.test(raw.trim()) || n < min || n > max)
        throw `must be a whole number from ${min} to ${max}, got "${raw}"`;
      return n;
    },
  url:
    (...protocols: string[]) =>
    (raw: string): string => {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        throw `must be a URL, got "${redactUrl(raw)}"`;
      }
      if (!protocols.includes(url.protocol))
        throw `must be a ${protocols.join(' or ')} URL, got "${redactUrl(raw)}"`;
      return raw.replace(/\/+$/, '');
    },
  hostPorts: (raw: string): string[] => {
    const list = raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = list.filter((hp) => !/^[^\s:]+:\d{1,5}$/.test(hp));
    if (list.length === 0 || bad.length > 0)
      throw `must be a comma-separated list of host:port, got "${raw}"`;
    return list;
  },
  oneOf:
    <T extends string>(...allowed: T[]) =>
    (raw: string): T => {
      if (!(allowed as string[]).includes(raw)) throw `must be one of ${allowed.join(', ')}, got "${raw}"`;
      return raw as T;
    },
  matching:
    (pattern: RegExp, what: string) =>
    (raw: string): string => {
      if (!pattern.test(raw)) throw `must be ${what}, got "${raw.slice(0, 80)}"`;
      return raw;
    },
  ratio: (raw: string): number => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1)
      throw `must be a number from 0 to 1, got "${raw}"`;
    return n;
  },
  bool: (raw: string): boolean => {
    if (['true', '1', 'yes'].includes(raw.toLowerCase())) return true;
    if (['false', '0', 'no'].includes(raw.toLowerCase())) return false;
    throw `must be true or false, got "${raw}"`;
  },
};

export const env = {
  text: (fallback?: string) => required(parsers.text, fallback),
  optionalText: () => optional(parsers.text),
  int: (min: number, max: number, fallback?: number) => required(parsers.int(min, max), fallback),
  optionalInt: (min: number, max: number) => optional(parsers.int(min, max)),
  // 0 asks the OS for a free port (tests run many services side by side).
  port: (fallback?: number) => required(parsers.int(0, 65535), fallback),
  optionalPort: () => optional(parsers.int(0, 65535)),
  url: (protocols: string[], fallback?: string) => required(parsers.url(...protocols), fallback),
  optionalUrl: (protocols: string[]) => optional(parsers.url(...protocols)),
  hostPorts: (fallback?: string) => required(parsers.hostPorts, fallback?.split(',')),
  oneOf: <T extends string>(allowed: T[], fallback?: T) => required(parsers.oneOf(...allowed), fallback),
  optionalOneOf: <T extends string>(allowed: T[]) => optional(parsers.oneOf(...allowed)),
  bool: (fallback = false) => required(parsers.bool, fallback),
  ratio: (fallback?: number) => required(parsers.ratio, fallback),
  matching: (pattern: RegExp, what: string, fallback?: string) =>
    required(parsers.matching(pattern, what), fallback),
};

export type Spec = Record<string, Field<unknown>>;
export type Parsed<S extends Spec> = { [K in keyof S]: ReturnType<S[K]> };

/**
 * Reads every variable of `spec` from `source`. `NAME_FILE` may point at a file holding
 * the value (for secrets mounted as files). Throws one ConfigError listing all problems.
 */
export function readEnv<S extends Spec>(spec: S, source: Env): Parsed<S> {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, parse] of Object.entries(spec)) {
    try {
      out[name] = parse(rawValue(name, source));
    } catch (problem) {
      problems.push(`${name} ${typeof problem === 'string' ? problem : (problem as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out as Parsed<S>;
}

function rawValue(name: string, source: Env): string | undefined {
  const file = source[`${name}_FILE`];
  if (file === undefined || file === '') return source[name];
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (e) {
    throw `cannot be read from ${name}_FILE=${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`;
  }
}

/** A URL with its password masked, for messages and logs. */
export function redactUrl(raw: string): string {
  return raw.replace(/\/\/([^:/@]+):([^@/]+)@/, '//$1:***@');
}
