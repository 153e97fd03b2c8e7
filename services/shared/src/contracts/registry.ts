// The one module that speaks HTTP to the schema registry (Confluent's REST API, which
// Confluent Schema Registry and Apicurio's ccompat endpoint both serve).
import { OrderflowError, UnavailableError } from '../errors';
import type { AvroSchema } from './avro';
import type { CompatibilityLevel } from './levels';

export interface RegistryConfig {
  /** Base URL, e.g. http://127.0.0.1:8081/apis/ccompat/v7. Credentials in the URL are used as basic auth. */
  url: string;
  /** Basic auth; never logged, never part of an error message. */
  auth?: { username: string; password: string };
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
}

/** The registry answered with an error status (other than "not found" where that is an answer). */
export class SchemaRegistryError extends OrderflowError {
  override readonly code: string = 'SCHEMA_REGISTRY_ERROR';
  constructor(
    message: string,
    readonly httpStatus: number,
    /** The registry's own error code (e.g. 409 incompatible, 42201 invalid schema), when given. */
    readonly registryCode: number | undefined,
    /** The registry's message, verbatim. */
    readonly reason: string,
  ) {
    super(message, { details: { httpStatus, registryCode, reason } });
  }
}

export interface RegisteredVersion {
  id: number;
  version: number;
}

export interface CompatibilityAnswer {
  compatible: boolean;
  /** The registry's reasons when incompatible (verbose mode), verbatim. */
  messages: string[];
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

// Confluent's error codes for 404 answers.
const SUBJECT_NOT_FOUND = 40401;
const VERSION_NOT_FOUND = 40402;
const SCHEMA_NOT_FOUND = 40403;
const SUBJECT_SOFT_DELETED = 40404;
const NO_SUBJECT_LEVEL = 40408;

export class SchemaRegistryClient {
  /** The base URL without credentials: safe to log. */
  readonly url: string;
  // Private so that logging or inspecting the client never shows the credentials.
  readonly #authorization: string | undefined;
  readonly #timeoutMs: number;

  constructor(config: RegistryConfig) {
    const parsed = new URL(config.url);
    let auth = config.auth;
    if (!auth && (parsed.username || parsed.password)) {
      auth = { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) };
    }
    parsed.username = '';
    parsed.password = '';
    this.url = parsed.toString().replace(/\/+$/, '');
    this.#authorization = auth
      ? `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`
      : undefined;
    this.#timeoutMs = config.timeoutMs ?? 10_000;
  }

  /** A cheap question every registry answers (its global level): reachability, not content. */
  async ping(): Promise<void> {
    await this.#call('GET', '/config');
  }

  /** Apicurio lists at most apicurio.ccompat.max-subjects (1,000 unless set; the local stack sets 100,000). */
  async subjects(): Promise<string[]> {
    return (await this.#call<string[]>('GET', '/subjects')).body ?? [];
  }

  /** The subject's own level, or undefined when it has none (it then follows the global level). */
  async getCompatibility(subject: string): Promise<CompatibilityLevel | undefined> {
    const res = await this.#call<{
      compatibilityLevel?: CompatibilityLevel;
      compatibility?: CompatibilityLevel;
    }>('GET', `/config/${enc(subject)}?defaultToGlobal=false`, undefined, [
      SUBJECT_NOT_FOUND,
      NO_SUBJECT_LEVEL,
    ]);
    return res.status === 404 ? undefined : (res.body?.compatibilityLevel ?? res.body?.compatibility);
  }

  async setCompatibility(subject: string, level: CompatibilityLevel): Promise<void> {
    await this.#call('PUT', `/config/${enc(subject)}`, { compatibility: level });
  }

  /** The version and id under which exactly this schema is registered, or undefined. */
  async lookup(subject: string, schema: AvroSchema): Promise<RegisteredVersion | undefined> {
    const res = await this.#call<RegisteredVersion>('POST', `/subjects/${enc(subject)}`, body(schema), [
      SUBJECT_NOT_FOUND,
      SCHEMA_NOT_FOUND,
    ]);
    return res.status === 404 ? undefined : (res.body as RegisteredVersion);
  }

  /** Registers (or finds) the schema; the registry rejects it (409) if incompatible at the subject's level. */
  async register(subject: string, schema: AvroSchema): Promise<number> {
    const res = await this.#call<{ id: number }>('POST', `/subjects/${enc(subject)}/versions`, body(schema));
    return (res.body as { id: number }).id;
  }

  /**
   * Asks whether the schema could be registered under the subject, whose level is `level`.
   * Plain levels are asked against the latest version, _TRANSITIVE ones against all versions.
   * (Confluent's `/versions` endpoint honours the level by itself, but Apicurio 3.3 checks
   * every version there even for BACKWARD/FORWARD/FULL, which is stricter than registration.)
   * A subject with no versions accepts anything.
   */
  async testCompatibility(
    subject: string,
    schema: AvroSchema,
    level: CompatibilityLevel,
  ): Promise<CompatibilityAnswer> {
    const versions = level.endsWith('_TRANSITIVE') ? 'versions' : 'versions/latest';
    const res = await this.#call<{ is_compatible: boolean; messages?: string[] }>(
      'POST',
      `/compatibility/subjects/${enc(subject)}/${versions}?verbose=true`,
      body(schema),
      [SUBJECT_NOT_FOUND, VERSION_NOT_FOUND],
    );
    if (res.status === 404) return { compatible: true, messages: [] };
    return { compatible: res.body?.is_compatible === true, messages: res.body?.messages ?? [] };
  }

  async versions(subject: string): Promise<number[]> {
    const res = await this.#call<number[]>('GET', `/subjects/${enc(subject)}/versions`, undefined, [
      SUBJECT_NOT_FOUND,
    ]);
    return res.status === 404 ? [] : (res.body ?? []);
  }

  async schemaById(id: number): Promise<AvroSchema> {
    const res = await this.#call<{ schema: string }>('GET', `/schemas/ids/${id}`);
    return JSON.parse((res.body as { schema: string }).schema) as AvroSchema;
  }

  /** Deletes a subject for good (soft delete first, as Confluent requires). */
  async deleteSubject(subject: string): Promise<void> {
    await this.#call('DELETE', `/subjects/${enc(subject)}`, undefined, [
      SUBJECT_NOT_FOUND,
      SUBJECT_SOFT_DELETED,
    ]);
    await this.#call('DELETE', `/subjects/${enc(subject)}?permanent=true`, undefined, [SUBJECT_NOT_FOUND]);
  }

  async #call<T>(
    method: string,
    path: string,
    payload?: unknown,
    /** Registry error codes of a 404 that answer the question (e.g. "no such subject"). */
    notFound: number[] = [],
  ): Promise<{ status: number; body: T | undefined }> {
    const target = `${method} ${this.url}${path}`;
    const headers: Record<string, string> = { accept: CONTENT_TYPE };
    if (payload !== undefined) headers['content-type'] = CONTENT_TYPE;
    if (this.#authorization) headers.authorization = this.#authorization;
    let response: Response;
    try {
      response = await fetch(`${this.url}${path}`, {
        method,
        headers,
        body: payload === undefined ? undefined : JSON.stringify(payload),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      throw new UnavailableError(`Schema registry unreachable: ${target}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const text = await response.text();
    const parsed = parse(text);
    if (response.ok) return { status: response.status, body: parsed as T | undefined };
    const errorBody = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as {
      error_code?: number;
      message?: string;
    };
    // Only a 404 carrying an expected error code is an answer; a 404 for an unknown
    // endpoint (wrong URL, unsupported API) must not read as "no such subject".
    if (
      response.status === 404 &&
      errorBody.error_code !== undefined &&
      notFound.includes(errorBody.error_code)
    ) {
      return { status: 404, body: undefined };
    }
    const reason = errorBody.message ?? (text || response.statusText);
    if (response.status >= 500 || response.status === 408 || response.status === 429) {
      throw new UnavailableError(`Schema registry failed: ${target}: ${response.status} ${reason}`);
    }
    throw new SchemaRegistryError(
      `Schema registry refused ${target}: ${response.status} ${reason}`,
      response.status,
      errorBody.error_code,
      reason,
    );
  }
}

function body(schema: AvroSchema): { schema: string; schemaType: 'AVRO' } {
  return { schema: JSON.stringify(schema), schemaType: 'AVRO' };
}

function enc(subject: string): string {
  return encodeURIComponent(subject);
}

function parse(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
