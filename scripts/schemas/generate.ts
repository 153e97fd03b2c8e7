// schemas/*.json → avro/*.avsc + services/shared/src/contracts/events.generated.ts, and the
// documents read from them: docs/asyncapi.yaml, docs/openapi.yaml, docs/events.md.
import * as avro from 'avsc';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import * as prettier from 'prettier';
import { subjectOf } from '../../services/shared/src/contracts/subjects';
import { EVENT_NAMES, type EventName } from '../../services/shared/src/topics';
import type { AvroSchema } from '../../services/shared/src/contracts/avro';
import { asyncApiFile } from './asyncapi';
import { catalogueFile } from './catalogue';
import { toAvro, toTypeScript } from './emit';
import { openApiFile } from './openapi';
import { formatProblem, type Problem, readSchema, type RecordShape } from './model';
import { CliError, DEFAULT_ROOT, repoAt } from './repo';

export interface EventContract {
  event: EventName;
  /** Unprefixed subject (TopicRecordNameStrategy). */
  subject: string;
  /** The JSON Schema's path relative to the root. */
  jsonFile: string;
  /** The JSON Schema as written (descriptions, constraints, examples). */
  json: Record<string, unknown>;
  record: RecordShape;
  avro: AvroSchema;
  /** Exactly the bytes of avro/<Event>.avsc. */
  avroText: string;
}

/** A request body's JSON Schema (schemas/requests/<name>.json); no Avro. */
export interface RequestContract {
  name: string;
  json: Record<string, unknown>;
}

export interface Generation {
  events: EventContract[];
  files: { path: string; content: string }[];
  problems: Problem[];
}

const CONFIG_FILES = new Set(['compatibility.json']);

/** Reads every schema under `root` and builds what generation would write; nothing is written. */
export async function buildContracts(root: string): Promise<Generation> {
  const repo = repoAt(root);
  const problems: Problem[] = [];
  const events: EventContract[] = [];
  const rel = (path: string) => relative(root, path);

  const present = readdirSync(repo.schemasDir)
    .filter((f) => f.endsWith('.json') && !CONFIG_FILES.has(f))
    .map((f) => basename(f, '.json'));
  for (const name of present) {
    if (!(EVENT_NAMES as readonly string[]).includes(name)) {
      problems.push({
        file: `schemas/${name}.json`,
        pointer: '',
        problem: `${name} is not an event in services/shared/src/services.ts`,
        fix: 'add it to the topic of the service that produces it, or move it to schemas/requests/',
      });
    }
  }

  for (const event of EVENT_NAMES) {
    const file = join(repo.schemasDir, `${event}.json`);
    if (!existsSync(file)) {
      problems.push({
        file: rel(file),
        pointer: '',
        problem: 'missing',
        fix: `write the JSON Schema for ${event}`,
      });
      continue;
    }
    const json = parseJson(file, rel(file), problems);
    if (json === undefined) continue;
    const read = readSchema(json, { file: rel(file), name: event, avro: true });
    problems.push(...read.problems);
    if (!read.record) continue;
    problems.push(...checkEnvelope(read.record, rel(file)));
    const schema = toAvro(read.record, rel(file));
    try {
      avro.Type.forSchema(schema as avro.Schema);
    } catch (error) {
      problems.push({
        file: rel(file),
        pointer: '',
        problem: `the generated Avro schema is invalid: ${(error as Error).message}`,
        fix: 'check the defaults and enum symbols',
      });
      continue;
    }
    events.push({
      event,
      subject: subjectOf(event),
      jsonFile: rel(file),
      json: json as Record<string, unknown>,
      record: read.record,
      avro: schema,
      avroText: `${JSON.stringify(schema, null, 2)}\n`,
    });
  }

  const requests: RecordShape[] = [];
  const requestContracts: RequestContract[] = [];
  const requestFiles = existsSync(repo.requestsDir)
    ? readdirSync(repo.requestsDir).filter((f) => f.endsWith('.json'))
    : [];
  for (const name of requestFiles.sort()) {
    const file = join(repo.requestsDir, name);
    const json = parseJson(file, rel(file), problems);
    if (json === undefined) continue;
    const read = readSchema(json, { file: rel(file), name: basename(name, '.json'), avro: false });
    problems.push(...read.problems);
    if (read.record) requests.push(read.record);
    requestContracts.push({ name: basename(name, '.json'), json: json as Record<string, unknown> });
  }

  const files = events.map((e) => ({ path: join(repo.avroDir, `${e.event}.avsc`), content: e.avroText }));
  files.push({ path: repo.generatedTs, content: await typeScriptFile(events, requests) });
  if (problems.length === 0) {
    files.push(
      { path: join(repo.docsDir, 'asyncapi.yaml'), content: asyncApiFile(events) },
      { path: join(repo.docsDir, 'openapi.yaml'), content: openApiFile(requestContracts) },
      { path: join(repo.docsDir, 'events.md'), content: catalogueFile(events) },
    );
  }
  return { events, files, problems };
}

async function typeScriptFile(events: EventContract[], requests: RecordShape[]): Promise<string> {
  const parts = [
    '// GENERATED by `npm run schemas:generate` from schemas/*.json; do not edit by hand.',
    '// Events have exactly their JSON Schema shape: date-times are ISO-8601 strings, optional',
    '// fields may be absent or null, enums are string unions.',
    '',
    ...events.map((e) => toTypeScript(e.record)),
    '/** Every event payload by event name. */',
    `export type EventPayloads = {\n${events.map((e) => `  ${e.event}: ${e.event};`).join('\n')}\n};`,
    '',
    '// Requests (not events; no Avro).',
    '',
    ...requests.map((r) => toTypeScript(r)),
  ];
  // Formatted with the repository's own prettier config, so `prettier --check` agrees.
  const config = await prettier.resolveConfig(join(DEFAULT_ROOT, 'package.json'));
  return prettier.format(parts.join('\n'), { ...config, parser: 'typescript' });
}

// Every event carries eventId (uuid), orderId and occurredAt (date-time), all required.
function checkEnvelope(record: RecordShape, file: string): Problem[] {
  const expected: Record<string, (f: RecordShape['fields'][number]) => boolean> = {
    eventId: (f) => f.shape.kind === 'string' && f.shape.uuid,
    orderId: (f) => f.shape.kind === 'string',
    occurredAt: (f) => f.shape.kind === 'timestamp',
  };
  const what = { eventId: 'a uuid string', orderId: 'a string', occurredAt: 'a date-time string' };
  const problems: Problem[] = [];
  for (const [name, ok] of Object.entries(expected)) {
    const field = record.fields.find((f) => f.name === name);
    if (!field || !field.required || field.nullable || !ok(field)) {
      problems.push({
        file,
        pointer: `/properties/${name}`,
        problem: `every event carries ${name}, required and ${what[name as keyof typeof what]}`,
        fix: 'copy the field from another event schema',
      });
    }
  }
  return problems;
}

function parseJson(file: string, relPath: string, problems: Problem[]): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    problems.push({
      file: relPath,
      pointer: '',
      problem: `not valid JSON: ${(error as Error).message}`,
      fix: 'fix the syntax',
    });
    return undefined;
  }
}

/** Throws a CliError listing every problem, if any. */
export function assertNoProblems(problems: Problem[]): void {
  if (problems.length) {
    throw new CliError(
      `The schemas cannot be mirrored faithfully (${problems.length} problem(s)):\n${problems
        .map((p) => `  ${formatProblem(p)}`)
        .join('\n')}`,
    );
  }
}

/** Files generation would change: differing content, missing, or orphaned .avsc files. */
export function staleFiles(root: string, generation: Generation): string[] {
  const stale: string[] = [];
  for (const file of generation.files) {
    const current = existsSync(file.path) ? readFileSync(file.path, 'utf8') : undefined;
    if (current !== file.content)
      stale.push(relative(root, file.path) + (current === undefined ? ' (missing)' : ''));
  }
  const avroDir = repoAt(root).avroDir;
  const expected = new Set(generation.files.map((f) => f.path));
  if (existsSync(avroDir)) {
    for (const f of readdirSync(avroDir).filter((n) => n.endsWith('.avsc'))) {
      if (!expected.has(join(avroDir, f)))
        stale.push(`avro/${f} (no schemas/*.json generates it; delete it)`);
    }
  }
  return stale;
}

export async function generateCommand(root: string, check: boolean): Promise<void> {
  const generation = await buildContracts(root);
  assertNoProblems(generation.problems);
  const stale = staleFiles(root, generation);
  if (check) {
    if (stale.length) {
      throw new CliError(
        `Generated files are stale; run \`npm run schemas:generate\` and commit:\n${stale.map((s) => `  ${s}`).join('\n')}`,
      );
    }
    console.log(`Generated files are up to date (${generation.files.length} files).`);
    return;
  }
  for (const file of generation.files) {
    mkdirSync(dirname(file.path), { recursive: true });
    const current = existsSync(file.path) ? readFileSync(file.path, 'utf8') : undefined;
    if (current === file.content) continue;
    writeFileSync(file.path, file.content);
    console.log(`wrote ${relative(root, file.path)}`);
  }
  for (const s of stale.filter((s) => s.includes('delete it'))) console.log(`warning: ${s}`);
  console.log(`Generated ${generation.files.length} files (${stale.length} changed).`);
}
