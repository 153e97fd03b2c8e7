// Registering event schemas: the services at startup (registerEventSchemas) and
// `npm run register-schemas` (through ensureSubject) do the same steps: set the subject's
// level, look the schema up, and otherwise test and register it.
import { OrderflowError } from '../errors';
import { type EventName, subjectOf } from '../topics';
import { type AvroSchema, loadAvroSchema, REPO_ROOT } from './avro';
import {
  type CompatibilityConfig,
  type CompatibilityLevel,
  levelOf,
  readCompatibilityConfig,
} from './levels';
import { type RegistryConfig, SchemaRegistryClient, SchemaRegistryError } from './registry';

/** The registry rejected a schema: the service must not start producing with it. */
export class SchemaRejectedError extends OrderflowError {
  override readonly code: string = 'SCHEMA_REJECTED';
  constructor(
    readonly subject: string,
    /** The registry's reason, verbatim. */
    readonly reason: string,
    options: { cause?: unknown } = {},
  ) {
    super(`Schema registry rejected the schema for subject ${subject}: ${reason}`, {
      ...options,
      details: { subject, reason },
    });
  }
}

export interface SubjectOutcome {
  subject: string;
  level: CompatibilityLevel;
  /** Undefined only in a dry run for a schema not registered yet. */
  id?: number;
  version?: number;
  /** Whether this call registered the schema (or, in a dry run, would). */
  isNew: boolean;
}

/**
 * Sets the subject's level, then finds the schema or registers it. Throws SchemaRejectedError
 * with the registry's reason when it is incompatible. A dry run changes nothing: it looks the
 * schema up and asks the registry's compatibility test instead (at the subject's current level).
 */
export async function ensureSubject(
  client: SchemaRegistryClient,
  subject: string,
  schema: AvroSchema,
  level: CompatibilityLevel,
  options: { dryRun?: boolean } = {},
): Promise<SubjectOutcome> {
  if (!options.dryRun) await client.setCompatibility(subject, level);
  const existing = await client.lookup(subject, schema);
  if (existing) return { subject, level, id: existing.id, version: existing.version, isNew: false };
  if (options.dryRun) {
    const answer = await client.testCompatibility(subject, schema, level);
    if (!answer.compatible) {
      const reason = answer.messages.join('; ') || `incompatible at ${level} (the registry gave no details)`;
      throw new SchemaRejectedError(subject, reason);
    }
    return { subject, level, isNew: true };
  }
  // Registration is the registry's own compatibility test and the write in one step (no race
  // between testing and registering), and its refusal carries the reason: Apicurio's
  // compatibility endpoint answers a bare false even in verbose mode.
  let id: number;
  try {
    id = await client.register(subject, schema);
  } catch (error) {
    // 409: incompatible at the subject's level; 422: the registry finds the schema invalid.
    if (error instanceof SchemaRegistryError && (error.httpStatus === 409 || error.httpStatus === 422)) {
      throw new SchemaRejectedError(subject, error.reason, { cause: error });
    }
    throw error;
  }
  const registered = await client.lookup(subject, schema);
  return { subject, level, id, version: registered?.version, isNew: true };
}

export interface RegisterEventSchemasOptions {
  /** The events this service produces. */
  events: readonly EventName[];
  /** Subject/topic prefix (tests use a fresh one per run). */
  prefix?: string;
  registry: RegistryConfig | SchemaRegistryClient;
  /** Levels per subject; defaults to schemas/compatibility.json. */
  compatibility?: CompatibilityConfig;
  /** Where avro/ and schemas/ live; defaults to the repository root. */
  rootDir?: string;
}

export interface RegisteredEventSchema {
  id: number;
  schema: AvroSchema;
}

/**
 * Registers (or looks up) the schemas of the events a service produces, at startup.
 * Throws SchemaRejectedError naming the subject and the registry's reason if one is
 * rejected, and UnavailableError if the registry cannot be reached.
 */
export async function registerEventSchemas(
  options: RegisterEventSchemasOptions,
): Promise<Map<EventName, RegisteredEventSchema>> {
  const client =
    options.registry instanceof SchemaRegistryClient
      ? options.registry
      : new SchemaRegistryClient(options.registry);
  const rootDir = options.rootDir ?? REPO_ROOT;
  const config = options.compatibility ?? readCompatibilityConfig(rootDir);
  const registered = new Map<EventName, RegisteredEventSchema>();
  for (const event of options.events) {
    const schema = loadAvroSchema(event, rootDir);
    const subject = subjectOf(event, options.prefix);
    const outcome = await ensureSubject(client, subject, schema, levelOf(config, event));
    registered.set(event, { id: outcome.id as number, schema });
  }
  return registered;
}
