// Compatibility levels, exactly as Confluent Schema Registry names them, and the one
// config file (schemas/compatibility.json) that picks a level per subject.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventName } from '../topics';
import { REPO_ROOT } from './avro';
import { subjectOf } from './subjects';

export const COMPATIBILITY_LEVELS = [
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
  'NONE',
] as const;

export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];

export function isCompatibilityLevel(value: unknown): value is CompatibilityLevel {
  return typeof value === 'string' && (COMPATIBILITY_LEVELS as readonly string[]).includes(value);
}

export interface CompatibilityConfig {
  /** Level for every subject not listed in `subjects`. */
  default: CompatibilityLevel;
  /** Overrides, keyed by unprefixed subject (`<topic>-orderflow.events.<Event>`). */
  subjects: Record<string, CompatibilityLevel>;
}

export const COMPATIBILITY_CONFIG_FILE = join('schemas', 'compatibility.json');

/** Reads and validates schemas/compatibility.json under `rootDir`. */
export function readCompatibilityConfig(rootDir = REPO_ROOT): CompatibilityConfig {
  const file = join(rootDir, COMPATIBILITY_CONFIG_FILE);
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(raw)) {
    if (!['$comment', 'default', 'subjects'].includes(key)) problems.push(`unknown key "${key}"`);
  }
  if (!isCompatibilityLevel(raw.default)) {
    problems.push(
      `"default" must be one of ${COMPATIBILITY_LEVELS.join(', ')}, got ${JSON.stringify(raw.default)}`,
    );
  }
  const subjects = (raw.subjects ?? {}) as Record<string, unknown>;
  for (const [subject, level] of Object.entries(subjects)) {
    if (!isCompatibilityLevel(level))
      problems.push(`subject "${subject}": unknown level ${JSON.stringify(level)}`);
  }
  if (problems.length) throw new Error(`${file}: ${problems.join('; ')}`);
  return {
    default: raw.default as CompatibilityLevel,
    subjects: subjects as Record<string, CompatibilityLevel>,
  };
}

/** The level an event's (TopicRecordNameStrategy) subject runs at. */
export function levelOf(config: CompatibilityConfig, event: EventName): CompatibilityLevel {
  return levelOfSubject(config, subjectOf(event));
}

/** The level of any subject, named without its prefix (overrides are keyed that way). */
export function levelOfSubject(config: CompatibilityConfig, unprefixedSubject: string): CompatibilityLevel {
  return config.subjects[unprefixedSubject] ?? config.default;
}
