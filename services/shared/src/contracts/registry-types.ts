// What orderflow's registry client takes and answers: its settings, its error, and Confluent's
// shapes for versions, compatibility answers and schema references.
import { OrderflowError } from '../errors';
import type { AvroSchema } from './avro';

export interface RegistryConfig {
  /** Base URL, e.g. http://127.0.0.1:8081/apis/ccompat/v7. Credentials in the URL are used as basic auth. */
  url: string;
  /** Basic auth; never logged, never part of an error message. */
  auth?: { username: string; password: string };
  /**
   * Per-attempt timeout (default 10 s); a library call that gets no answer is tried three times.
   * The "stalls" once blamed on Apicurio were answers that never reached the client: an idle
   * socket expiring as it was reused (see registryAgent), and once a 200 logged but never received.
   */
  timeoutMs?: number;
}

/** The registry answered with an error status (other than "not found" where that is an answer). */
export class SchemaRegistryError extends OrderflowError {
  override readonly code: string = 'SCHEMA_REGISTRY_ERROR';
  constructor(
    message: string,
    readonly httpStatus: number,
    /** The registry's message, verbatim. */
    readonly reason: string,
  ) {
    super(message, { details: { httpStatus, reason } });
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

/** Confluent's schema reference: the named type `name` is version `version` of `subject`. */
export interface SchemaReference {
  name: string;
  subject: string;
  version: number;
}

/** What orderflow registers: an Avro schema and, for a union subject, the records it references. */
export interface SubjectSchema {
  schema: AvroSchema | unknown[];
  references?: SchemaReference[];
}
