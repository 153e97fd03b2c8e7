// Subject naming: which registry subject holds which schema, under the three strategies
// Confluent's serializers know. Every subject is prefixed like topics (tests isolate runs).
import { EVENT_NAMESPACE, SERVICES, producerOf, topicOf, type EventName } from '../topics';

export const SUBJECT_NAME_STRATEGIES = ['topic-record', 'record', 'topic'] as const;
/**
 * `topic-record` (TopicRecordNameStrategy, the default): `<topic>-<namespace>.<Record>`;
 * `record` (RecordNameStrategy): `<namespace>.<Record>`;
 * `topic` (TopicNameStrategy): `<topic>-value` holds a union of the topic's records, each a
 * schema reference to the record's own subject (named as under `record`).
 */
export type SubjectNameStrategy = (typeof SUBJECT_NAME_STRATEGIES)[number];

/** The record's full Avro name, e.g. `orderflow.events.OrderCreated`. */
export function recordNameOf(event: EventName): string {
  return `${EVENT_NAMESPACE}.${event}`;
}

/** The subject that holds one record's own schema. */
export function recordSubjectOf(
  event: EventName,
  strategy: SubjectNameStrategy = 'topic-record',
  prefix = '',
): string {
  return strategy === 'topic-record'
    ? `${topicOf(event, prefix)}-${recordNameOf(event)}`
    : `${prefix}${recordNameOf(event)}`;
}

/** TopicRecordNameStrategy's subject: `<topic>-<namespace>.<RecordName>` (the default). */
export function subjectOf(event: EventName, prefix = ''): string {
  return recordSubjectOf(event, 'topic-record', prefix);
}

/** `<topic>-value`: the subject TopicNameStrategy reads and writes with. */
export function topicSubjectOf(event: EventName, prefix = ''): string {
  return `${topicOf(event, prefix)}-value`;
}

/** The subject whose schema id a producer writes an event with. */
export function writerSubjectOf(event: EventName, strategy: SubjectNameStrategy, prefix = ''): string {
  return strategy === 'topic' ? topicSubjectOf(event, prefix) : recordSubjectOf(event, strategy, prefix);
}

/** The events sharing an event's topic, in the order of the topic's union. */
export function topicEventsOf(event: EventName): readonly EventName[] {
  return SERVICES[producerOf(event)].produces;
}

/** Every subject a strategy uses, records before the unions that reference them. */
export function subjectsOf(
  events: readonly EventName[],
  strategy: SubjectNameStrategy,
  prefix = '',
): string[] {
  const records = events.map((e) => recordSubjectOf(e, strategy, prefix));
  const unions = strategy === 'topic' ? events.map((e) => topicSubjectOf(e, prefix)) : [];
  return [...new Set([...records, ...unions])];
}
