// Event contracts: generated event types, runtime Avro types, the registry client and the
// startup registration helper.
import type { EventName } from '../topics';
import type { EventPayloads } from './events.generated';

export * from './events.generated';
export {
  type AvroSchema,
  avroTypeOf,
  IsoTimestampMillis,
  isoToMillis,
  loadAvroSchema,
  loadJsonSchema,
  REPO_ROOT,
} from './avro';
export {
  COMPATIBILITY_LEVELS,
  type CompatibilityConfig,
  type CompatibilityLevel,
  isCompatibilityLevel,
  levelOf,
  levelOfSubject,
  readCompatibilityConfig,
} from './levels';
export * from './subjects';
export {
  type CompatibilityAnswer,
  type RegisteredVersion,
  type RegistryConfig,
  SchemaRegistryClient,
  SchemaRegistryError,
  type SchemaReference,
  type SubjectSchema,
} from './registry';
export { registryAgent } from './registry-wire';
export {
  branchesOf,
  ensureEventSubjects,
  ensureSubject,
  type RegisteredEventSchema,
  registerEventSchemas,
  type RegisterEventSchemasOptions,
  SchemaRejectedError,
  type SubjectOutcome,
} from './register';

/** The payload type of one event. */
export type EventPayload<E extends EventName> = EventPayloads[E];

// Fails to compile when topics.ts and the generated types disagree on the set of events.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const eventsMatchTopics: Same<keyof EventPayloads, EventName> = true;
void eventsMatchTopics;
