// Runs the real schemas CLI against a scratch copy of the repository's contract files.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
const GENERATED_TS = join('services', 'shared', 'src', 'contracts', 'events.generated.ts');

/** A temp root holding copies of schemas/, avro/ (with history), the generated types and docs/. */
export function copyContracts(): string {
  const dir = mkdtempSync(join(tmpdir(), 'orderflow-contracts-'));
  cpSync(join(ROOT, 'schemas'), join(dir, 'schemas'), { recursive: true });
  cpSync(join(ROOT, 'avro'), join(dir, 'avro'), { recursive: true });
  cpSync(join(ROOT, GENERATED_TS), join(dir, GENERATED_TS));
  cpSync(join(ROOT, 'docs'), join(dir, 'docs'), { recursive: true });
  return dir;
}

/** `tsx scripts/schemas.ts <args>`; offline unless `env` sets SCHEMA_REGISTRY_URL. */
export function schemasCli(args: string[], env: Record<string, string> = {}) {
  const { SCHEMA_REGISTRY_URL: _, ...inherited } = process.env;
  const result = spawnSync(
    join(ROOT, 'node_modules', '.bin', 'tsx'),
    [join(ROOT, 'scripts', 'schemas.ts'), ...args],
    {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...inherited, ...env },
    },
  );
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** schemasCli without blocking this process: for tests that serve something the CLI calls. */
export async function schemasCliAsync(args: string[], env: Record<string, string> = {}) {
  const { SCHEMA_REGISTRY_URL: _, ...inherited } = process.env;
  const child = spawn(
    join(ROOT, 'node_modules', '.bin', 'tsx'),
    [join(ROOT, 'scripts', 'schemas.ts'), ...args],
    {
      cwd: ROOT,
      env: { ...inherited, ...env },
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [status] = (await once(child, 'close')) as [number | null];
  return { status, output };
}

/** Edits a JSON file in place. */
export function editJson(file: string, edit: (json: Record<string, unknown>) => void): void {
  const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(json);
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
}

type SchemaJson = { properties: Record<string, unknown>; required: string[] };

/** Adds a property to an event's JSON Schema; `required` lists it in "required". */
export function addProperty(
  root: string,
  event: string,
  name: string,
  schema: unknown,
  required: boolean,
): void {
  editJson(join(root, 'schemas', `${event}.json`), (json) => {
    const s = json as unknown as SchemaJson;
    s.properties[name] = schema;
    if (required) s.required.push(name);
  });
}
