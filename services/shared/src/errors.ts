// Typed errors. Each carries a stable code, whether retrying may help, and — for the
// HTTP edge — the status to answer with and whether its message may be shown.

export interface ErrorOptions {
  cause?: unknown;
  details?: unknown;
}

export class OrderflowError extends Error {
  readonly code: string = 'INTERNAL';
  readonly retriable: boolean = false;
  /** HTTP status when this error reaches a client. */
  readonly status: number = 500;
  /** Whether the message may be shown to a client (never for 5xx). */
  readonly expose: boolean = false;
  readonly details?: unknown;

  constructor(message: string, options: ErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.details = options.details;
  }
}

/** A base for errors whose message a client may see, answered with `status`. */
function shownToClient(code: string, status: number) {
  return class extends OrderflowError {
    override readonly code = code;
    override readonly status = status;
    override readonly expose = true;
  };
}

/** A client's request is malformed or violates its schema (400). */
export class ValidationError extends shownToClient('VALIDATION_FAILED', 400) {}

/** No such route, or no such thing at that route (404). */
export class NotFoundError extends shownToClient('NOT_FOUND', 404) {}

/** The body is larger than the route accepts (413). */
export class PayloadTooLargeError extends shownToClient('PAYLOAD_TOO_LARGE', 413) {}

/** The body is not in the media type the route reads (415). */
export class UnsupportedMediaTypeError extends shownToClient('UNSUPPORTED_MEDIA_TYPE', 415) {}

/** The client is over its rate limit (429); the answer says when to come back. */
export class TooManyRequestsError extends shownToClient('TOO_MANY_REQUESTS', 429) {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/**
 * Work abandoned because the process is stopping: it is redelivered (Kafka) or may be retried
 * against another instance (HTTP, 503). Not retriable here: retrying in a stopping process
 * would only delay the stop.
 */
export class StoppingError extends shownToClient('STOPPING', 503) {}

/** The request contradicts what was already accepted under the same identity (409). */
export class ConflictError extends shownToClient('CONFLICT', 409) {}

/** The value when there is one; otherwise throws a 404 naming what was looked for. */
export function orNotFound<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new NotFoundError(`no ${what}`);
  return value;
}

/** Well-formed, but refers to things the platform does not know (422). */
export class UnprocessableError extends shownToClient('UNPROCESSABLE', 422) {}

/** A dependency (database, broker, registry) is unreachable; retrying later may work. */
export class UnavailableError extends shownToClient('UNAVAILABLE', 503) {
  override readonly retriable = true;
}

/** Startup configuration is invalid; `problems` lists every bad value at once. */
export class ConfigError extends OrderflowError {
  override readonly code = 'CONFIG_INVALID';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** A Kafka message that can never be handled as it is: it goes to the DLQ at once. */
export class PoisonMessageError extends OrderflowError {
  override readonly code: string;
  constructor(reason: PoisonReason, message: string, options: ErrorOptions = {}) {
    super(message, options);
    this.code = reason;
  }
}

export type PoisonReason =
  | 'NOT_AVRO' // no Confluent magic byte, or too short to carry a schema id
  | 'UNKNOWN_SCHEMA_ID' // the registry does not know the id
  | 'UNKNOWN_RECORD_TYPE' // a schema that is not an orderflow event
  | 'UNDECODABLE' // the bytes do not decode with the writer's schema
  | 'INVALID_EVENT' // decodes, but breaks the event's JSON Schema contract
  | 'HANDLER_FAILED'; // the handler kept failing after its retries

/** Postgres error codes (and socket errors) where waiting and retrying can succeed. */
const TRANSIENT_PG_CODES = new Set(['40001', '40P01', '53300', '57P01', '57P02', '57P03']);
const TRANSIENT_NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);

/** Whether an error from any layer is worth retrying without limit (infrastructure down). */
export function isTransient(error: unknown): boolean {
  if (error instanceof OrderflowError) return error.retriable;
  const e = error as { code?: unknown; message?: unknown; retriable?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (typeof e.code === 'string') {
    if (TRANSIENT_PG_CODES.has(e.code) || TRANSIENT_NET_CODES.has(e.code) || e.code.startsWith('08'))
      return true;
  }
  if (e.retriable === true) return true; // kafkajs errors carry this flag
  const message = typeof e.message === 'string' ? e.message : '';
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|fetch failed|is not queryable/i.test(
    message,
  );
}

/** No credentials, or credentials that do not verify (401); `challenge` is the WWW-Authenticate answer. */
export class UnauthorizedError extends OrderflowError {
  override readonly code = 'UNAUTHORIZED';
  override readonly status = 401;
  override readonly expose = true;
  constructor(
    message: string,
    readonly challenge: string,
    options: ErrorOptions = {},
  ) {
    super(message, options);
  }
}

/** Authenticated, but asking to act as someone else (403). */
export class ForbiddenError extends OrderflowError {
  override readonly code = 'FORBIDDEN';
  override readonly status = 403;
  override readonly expose = true;
}
