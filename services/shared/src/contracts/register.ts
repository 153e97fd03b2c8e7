// Registering event schemas: the services at startup (registerEventSchemas) and
// `npm run register-schemas` (through ensureSubject) do the same steps: set the subject's
// level, look the schema up, and otherwise test and register it.
import { OrderflowError } from '../errors';
import type { EventName } from '../topics';
import { type AvroSchema, loadAvroSchema, REPO_ROOT } from './avro';
import {
  type CompatibilityConfig,
  type CompatibilityLevel,
  levelOfSubject,
  readCompatibilityConfig,
} from './levels';
import {
  type RegistryConfig,
  SchemaRegistryClient,
  SchemaRegistryError,
  type SubjectSchema,
} from './registry';
import {
  recordNameOf,
  recordSubjectOf,
  type SubjectNameStrategy,
  topicEventsOf,
  topicSubjectOf,
} from './subjects';

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
  schema: AvroSchema | SubjectSchema,
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
    id = await client.register(subject, schema, level);
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
  /** Which subjects hold the schemas (default `topic-record`). */
  strategy?: SubjectNameStrategy;
  /** Levels per subject; defaults to schemas/compatibility.json. */
  compatibility?: CompatibilityConfig;
  /** Where avro/ and schemas/ live; defaults to the repository root. */
  rootDir?: string;
}

export interface RegisteredEventSchema {
  /** The id producers write with: the record's own, or under `topic` the topic's union. */
  id: number;
  schema: AvroSchema;
  /** Under `topic`: the record's branch in the union (written before the record). */
  branch?: number;
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
  const { writers } = await ensureEventSubjects(client, options.events, {
    strategy: options.strategy ?? 'topic-record',
    prefix: options.prefix ?? '',
    compatibility: options.compatibility,
    rootDir: options.rootDir,
  });
  return writers;
}

export interface EnsureEventSubjectsOptions {
  strategy: SubjectNameStrategy;
  prefix: string;
  compatibility?: CompatibilityConfig;
  rootDir?: string;
  dryRun?: boolean;
  /** Called for a rejected subject instead of throwing (register-schemas lists them all). */
  onRejected?: (error: SchemaRejectedError) => void;
}

/**
 * Every subject the events need under the strategy, in an order the registry accepts:
 * each record's own subject first, then (under `topic`) each topic's union, whose
 * references name the record versions just registered or found.
 */
export async function ensureEventSubjects(
  client: SchemaRegistryClient,
  events: readonly EventName[],
  options: EnsureEventSubjectsOptions,
): Promise<{ outcomes: SubjectOutcome[]; writers: Map<EventName, RegisteredEventSchema> }> {
  const rootDir = options.rootDir ?? REPO_ROOT;
  const config = options.compatibility ?? readCompatibilityConfig(rootDir);
  const { strategy, prefix } = options;
  const outcomes: SubjectOutcome[] = [];
  const writers = new Map<EventName, RegisteredEventSchema>();
  const attempt = async (
    subject: string,
    schema: AvroSchema | SubjectSchema,
    level: CompatibilityLevel,
  ): Promise<SubjectOutcome | undefined> => {
    try {
      const outcome = await ensureSubject(client, subject, schema, level, options);
      outcomes.push(outcome);
      return outcome;
    } catch (error) {
      if (!(error instanceof SchemaRejectedError) || !options.onRejected) throw error;
      options.onRejected(error);
      outcomes.push({ subject, level, isNew: false });
      return undefined;
    }
  };
  const ensureRecord = (event: EventName) =>
    attempt(
      recordSubjectOf(event, strategy, prefix),
      loadAvroSchema(event, rootDir),
      levelOfSubject(config, recordSubjectOf(event, strategy)),
    );
  const records = new Map<EventName, SubjectOutcome | undefined>();
  for (const event of events) {
    const outcome = await ensureRecord(event);
    records.set(event, outcome);
    if (outcome?.id !== undefined)
      writers.set(event, { id: outcome.id, schema: loadAvroSchema(event, rootDir) });
  }
  if (strategy !== 'topic') return { outcomes, writers };

  const topics = [...new Set(events.map((e) => topicSubjectOf(e)))];
  for (const unprefixed of topics) {
    const members = topicEventsOf(events.find((e) => topicSubjectOf(e) === unprefixed)!);
    const subject = `${prefix}${unprefixed}`;
    const level = levelOfSubject(config, unprefixed);
    // A member this caller did not register (register-schemas registers all; a service only its own).
    for (const event of members) if (!records.has(event)) records.set(event, await ensureRecord(event));
    const versions = members.map((e) => records.get(e)?.version);
    if (versions.some((v) => v === undefined)) {
      // A member is rejected, or new in a dry run: the union cannot name its version yet.
      outcomes.push({ subject, level, isNew: true });
      continue;
    }
    const union: SubjectSchema = {
      schema: members.map(recordNameOf),
      references: members.map((e, i) => ({
        name: recordNameOf(e),
        subject: recordSubjectOf(e, strategy, prefix),
        version: versions[i]!,
      })),
    };
    const outcome = await attempt(subject, union, level);
    if (outcome?.id === undefined) continue;
    members.forEach((event, branch) => {
      if (writers.has(event)) writers.set(event, { ...writers.get(event)!, id: outcome.id!, branch });
    });
  }
  return { outcomes, writers };
}

/** Each event's branch in its topic's union, for the codec (empty unless under `topic`). */
export function branchesOf(
  registered: ReadonlyMap<EventName, RegisteredEventSchema>,
): Map<EventName, number> {
  return new Map(
    [...registered].flatMap(([event, { branch }]) =>
      branch === undefined ? [] : [[event, branch] as const],
    ),
  );
}
