import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  service: string;
  level?: string;
  /** Where lines go (stdout by default); tests pass a stream to read what was logged. */
  destination?: DestinationStream;
}

// Secrets can only reach a log line through these shapes; pino replaces them.
const REDACT = [
  'password',
  '*.password',
  '*.*.password',
  'sasl',
  '*.sasl',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'config.database.url',
];

export function createLogger({ service, level = 'info', destination }: LoggerOptions): Logger {
  return pino(
    {
      level,
      base: { service },
      redact: { paths: REDACT, censor: '***' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

const LEVELS: ReadonlySet<string> = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
const skip = () => undefined;

/**
 * `parent.child(bindings())`, made only when a line is written at an enabled level (or the
 * logger is used otherwise): pino's child() redacts its bindings when made, which cost ~7 % of
 * billing's CPU in a drain where each handler's per-event lines were below the level
 * (docs/benchmarks.md, Worker drains).
 */
export function lazyChild(parent: Logger, bindings: () => Record<string, unknown>): Logger {
  let child: Logger | undefined;
  const real = () => (child ??= parent.child(bindings()));
  return new Proxy(parent, {
    get(_parent, key) {
      if (child === undefined && typeof key === 'string' && LEVELS.has(key) && !parent.isLevelEnabled(key))
        return skip;
      const made = real();
      const value: unknown = Reflect.get(made, key);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(made) : value;
    },
    set: (_parent, key, value) => Reflect.set(real(), key, value),
    has: (_parent, key) => Reflect.has(real(), key),
  });
}
