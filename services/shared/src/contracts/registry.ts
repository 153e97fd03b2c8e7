// orderflow's registry access, through @kafkajs/confluent-schema-registry wherever it covers
// the call: schema by id (references resolved) and registration through its SchemaRegistry,
// lookups and levels through its own REST client (the resources it declares). A thin fetch
// remains for the four calls it has no resource for (README, "Design notes": the registry client).
import { type COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import createApiClient, {
  type SchemaRegistryAPIClientArgs,
} from '@kafkajs/confluent-schema-registry/dist/api';
import type { Type } from 'avsc';
import { UnavailableError } from '../errors';
import { IsoTimestampMillis, type AvroSchema } from './avro';
import type { CompatibilityLevel } from './levels';
import {
  translate,
  failureOf,
  timeoutMiddleware,
  registryAgent,
  asSubjectSchema,
  requestBody,
  enc,
  parse,
  CLIENT_ID,
} from './registry-wire';
import {
  SchemaRegistryError,
  type CompatibilityAnswer,
  type RegisteredVersion,
  type RegistryConfig,
  type SubjectSchema,
} from './registry-types';

export * from './registry-types';

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
/** The library parses every writer schema with orderflow's in-memory representation. */
const AVRO_OPTIONS = { logicalTypes: { 'timestamp-millis': IsoTimestampMillis }, omitRecordMethods: true };

type ApiClient = ReturnType<typeof createApiClient>;

/** Tries of one library call that got no answer (timeout, connection lost) or a 5xx. */
const ATTEMPTS = 3;

export class SchemaRegistryClient {
  /** The base URL without credentials: safe to log. */
  readonly url: string;
  // Private so that logging or inspecting the client never shows the credentials.
  readonly #registry: SchemaRegistry;
  readonly #api: ApiClient;
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
    this.#timeoutMs = config.timeoutMs ?? 10_000;
    const args: SchemaRegistryAPIClientArgs = {
      host: this.url,
      auth,
      clientId: CLIENT_ID,
      middlewares: [timeoutMiddleware(this.#timeoutMs)],
      agent: registryAgent(parsed.protocol),
    };
    this.#registry = new SchemaRegistry(args, { [SchemaType.AVRO]: AVRO_OPTIONS as never });
    this.#api = createApiClient(args);
    this.#authorization = auth
      ? `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`
      : undefined;
  }

  /** A cheap question every registry answers (its global level): reachability, not content. */
  async ping(): Promise<void> {
    await this.#fetch('GET', '/config');
  }

  /** Apicurio lists at most apicurio.ccompat.max-subjects (1,000 unless set; the local stack sets 100,000). */
  async subjects(): Promise<string[]> {
    return this.#data<string[]>('GET /subjects', () => this.#api.Subject.all({}));
  }

  /** The subject's own level, or undefined when it has none (it then follows the global level). */
  async getCompatibility(subject: string): Promise<CompatibilityLevel | undefined> {
    const body = await this.#data<{
      compatibilityLevel?: CompatibilityLevel;
      compatibility?: CompatibilityLevel;
    }>(`GET /config/${subject}`, () => this.#api.Subject.config({ subject, defaultToGlobal: false }), {
      notFound: true,
    });
    return body?.compatibilityLevel ?? body?.compatibility;
  }

  async setCompatibility(subject: string, level: CompatibilityLevel): Promise<void> {
    const put = () =>
      this.#data(`PUT /config/${subject}`, () =>
        this.#api.Subject.updateConfig({ subject, body: { compatibility: level } }),
      );
    try {
      await put();
    } catch (error) {
      // Apicurio keeps a subject's level as a rule that PUT creates when there is none; when two
      // clients create it at once (two instances starting together), the loser gets 409 "A rule
      // named 'COMPATIBILITY' already exists". The rule exists now, so asking again updates it.
      if (!(error instanceof SchemaRegistryError && error.httpStatus === 409)) throw error;
      await put();
    }
  }

  /** The version and id under which exactly this schema is registered, or undefined. */
  async lookup(subject: string, schema: AvroSchema | SubjectSchema): Promise<RegisteredVersion | undefined> {
    const body = await this.#data<RegisteredVersion>(
      `POST /subjects/${subject}`,
      () => this.#api.Subject.registered({ subject, body: requestBody(schema) }),
      { notFound: true },
    );
    return body && { id: body.id, version: body.version };
  }

  /**
   * Registers (or finds) the schema; the registry rejects it (409) if incompatible at the
   * subject's level. The library's register() refuses unless told the subject's current level
   * (and sets it only on a first registration), so the level is read first when not given.
   */
  async register(
    subject: string,
    schema: AvroSchema | SubjectSchema,
    level?: CompatibilityLevel,
  ): Promise<number> {
    const { schema: json, references } = asSubjectSchema(schema);
    const target = `POST /subjects/${subject}/versions`;
    // The library's register() refuses a schema without a name (AvroHelper.validate), so a
    // topic's union goes through its REST client's `register` resource instead.
    const registered = Array.isArray(json)
      ? await this.#data<{ id: number }>(target, () =>
          this.#api.Subject.register({ subject, body: requestBody(schema) }),
        )
      : await this.#registerRecord(subject, { schema: json, references }, level);
    return registered!.id;
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
    schema: AvroSchema | SubjectSchema,
    level: CompatibilityLevel,
  ): Promise<CompatibilityAnswer> {
    type Answer = { is_compatible: boolean; messages?: string[] };
    const body = level.endsWith('_TRANSITIVE')
      ? // The library's `compatible` resource always names one version; this asks all of them.
        await this.#fetch<Answer>(
          'POST',
          `/compatibility/subjects/${enc(subject)}/versions?verbose=true`,
          requestBody(schema),
        )
      : await this.#data<Answer>(
          `POST /compatibility/subjects/${subject}/versions/latest`,
          () =>
            this.#api.Subject.compatible({
              subject,
              version: 'latest',
              verbose: true,
              body: requestBody(schema),
            }),
          { notFound: true },
        );
    if (body === undefined) return { compatible: true, messages: [] };
    return { compatible: body.is_compatible === true, messages: body.messages ?? [] };
  }

  async versions(subject: string): Promise<number[]> {
    return (await this.#fetch<number[]>('GET', `/subjects/${enc(subject)}/versions`)) ?? [];
  }

  /** The writer schema with this id as an avsc Type (references resolved), cached by the library. */
  async schemaById(id: number): Promise<Type> {
    return this.#data<Type>(`GET /schemas/ids/${id}`, () => this.#registry.getSchema(id));
  }

  /** Deletes a subject for good (soft delete first, as Confluent requires). */
  async deleteSubject(subject: string): Promise<void> {
    await this.#fetch('DELETE', `/subjects/${enc(subject)}`);
    await this.#fetch('DELETE', `/subjects/${enc(subject)}?permanent=true`);
  }

  async #registerRecord(
    subject: string,
    { schema, references }: SubjectSchema,
    level: CompatibilityLevel | undefined,
  ): Promise<{ id: number }> {
    const compatibility = (level ?? (await this.#effectiveLevel(subject))) as COMPATIBILITY;
    return this.#data(`POST /subjects/${subject}/versions`, () =>
      this.#registry.register(
        { type: SchemaType.AVRO, schema: JSON.stringify(schema), references },
        { subject, compatibility },
      ),
    );
  }

  async #effectiveLevel(subject: string): Promise<CompatibilityLevel | undefined> {
    const body = await this.#data<{ compatibilityLevel?: CompatibilityLevel }>(
      `GET /config/${subject}`,
      () => this.#api.Subject.config({ subject }),
      { notFound: true },
    );
    return body?.compatibilityLevel;
  }

  /** Runs one library call; its errors become orderflow's, a 404 becomes undefined where asked. */
  async #data<T>(
    target: string,
    call: () => Promise<unknown>,
    options: { notFound?: boolean } = {},
  ): Promise<T> {
    let answer: unknown;
    for (let attempt = 1; ; attempt++) {
      try {
        answer = await call();
        break;
      } catch (error) {
        const [method, path] = target.split(' ');
        const failure = translate(error, `${method} ${this.url}${path}`);
        if (options.notFound && failure instanceof SchemaRegistryError && failure.httpStatus === 404)
          return undefined as T;
        // Every call orderflow makes through the library is idempotent (lookups, level settings,
        // registering the same schema again gives the same id), so an answer that never came is
        // asked again: once in a CI run Apicurio logged a 200 that never reached the client.
        if (!(failure instanceof UnavailableError) || attempt >= ATTEMPTS) throw failure;
      }
    }
    // The REST client answers with a response object; SchemaRegistry methods with the value itself.
    const maybe = answer as { data?: () => unknown };
    return (typeof maybe?.data === 'function' ? await maybe.data() : answer) as T;
  }

  /** The calls the library has no resource for; a 404 is "nothing there". */
  async #fetch<T>(method: string, path: string, payload?: unknown): Promise<T | undefined> {
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
    if (response.ok) return parsed as T | undefined;
    const reason = (parsed as { message?: string } | undefined)?.message ?? (text || response.statusText);
    if (response.status === 404 && (parsed as { error_code?: number } | undefined)?.error_code)
      return undefined;
    throw failureOf(response.status, reason, target);
  }
}
