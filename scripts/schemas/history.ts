// Released history: avro/history/<subject>/v<N>.avsc, every version ever released, never
// edited. avro/history/lock.json holds each file's content hash, so a changed, deleted or
// smuggled-in version fails the check.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AvroSchema } from '../../services/shared/src/contracts/avro';
import { levelOf, readCompatibilityConfig } from '../../services/shared/src/contracts/levels';
import { checkLevel, formatFinding, parseAvro } from './compat';
import { assertNoProblems, buildContracts, staleFiles } from './generate';
import { CliError, formatTable, repoAt } from './repo';

export interface ReleasedVersion {
  version: number;
  /** Lock key and path under avro/history: `<subject>/v<N>.avsc`. */
  key: string;
  text: string;
  schema: AvroSchema;
}

type Lock = Record<string, string>;

export function hashOf(text: string): string {
  return `sha256-${createHash('sha256').update(text).digest('hex')}`;
}

export function readLock(root: string): Lock {
  const file = repoAt(root).lockFile;
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Lock) : {};
}

/** A subject's released versions, oldest first. */
export function readHistory(root: string, subject: string): ReleasedVersion[] {
  const dir = join(repoAt(root).historyDir, subject);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((f) => /^v([1-9][0-9]*)\.avsc$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => {
      const text = readFileSync(join(dir, m[0]), 'utf8');
      return {
        version: Number(m[1]),
        key: `${subject}/${m[0]}`,
        text,
        schema: JSON.parse(text) as AvroSchema,
      };
    })
    .sort((a, b) => a.version - b.version);
}

/** Every way the history differs from its lock: each one is a released version that changed. */
export function verifyHistory(root: string): string[] {
  const { historyDir } = repoAt(root);
  const lock = readLock(root);
  const problems: string[] = [];
  const seen = new Set<string>();
  const subjects = existsSync(historyDir)
    ? readdirSync(historyDir).filter((d) => statSync(join(historyDir, d)).isDirectory())
    : [];
  for (const subject of subjects) {
    const files = readdirSync(join(historyDir, subject));
    for (const f of files) {
      const key = `${subject}/${f}`;
      if (!/^v[1-9][0-9]*\.avsc$/.test(f)) {
        problems.push(`avro/history/${key}: not a released version (only v<N>.avsc belongs here)`);
        continue;
      }
      seen.add(key);
      const expected = lock[key];
      const actual = hashOf(readFileSync(join(historyDir, key), 'utf8'));
      if (expected === undefined) {
        problems.push(
          `avro/history/${key}: not in lock.json; versions are added only by npm run schemas:release`,
        );
      } else if (expected !== actual) {
        problems.push(
          `avro/history/${key}: a released version was edited (hash ${actual}, locked ${expected}); restore it from git and release a new version instead`,
        );
      }
    }
    const versions = readHistory(root, subject).map((v) => v.version);
    versions.forEach((v, i) => {
      if (v !== i + 1)
        problems.push(`avro/history/${subject}: versions must be v1..v${versions.length}, found v${v}`);
    });
  }
  for (const key of Object.keys(lock)) {
    if (!seen.has(key))
      problems.push(`avro/history/${key}: a released version was deleted; restore it from git`);
  }
  return problems;
}

/** Appends each event's current schema as a new version when it differs and is compatible. */
export async function releaseCommand(root: string): Promise<void> {
  const repo = repoAt(root);
  const generation = await buildContracts(root);
  assertNoProblems(generation.problems);
  const stale = staleFiles(root, generation);
  if (stale.length) {
    throw new CliError(
      `Generated files are stale; run \`npm run schemas:generate\` first:\n  ${stale.join('\n  ')}`,
    );
  }
  const historyProblems = verifyHistory(root);
  if (historyProblems.length)
    throw new CliError(`Released history is broken:\n  ${historyProblems.join('\n  ')}`);

  const config = readCompatibilityConfig(root);
  const lock = readLock(root);
  const releases: { key: string; text: string }[] = [];
  const refusals: string[] = [];
  const rows = [['subject', 'level', 'version', 'status']];
  for (const contract of generation.events) {
    const level = levelOf(config, contract.event);
    const history = readHistory(root, contract.subject);
    const latest = history[history.length - 1];
    if (latest && latest.text === contract.avroText) {
      rows.push([contract.subject, level, `v${latest.version}`, 'unchanged']);
      continue;
    }
    const findings = checkLevel(
      level,
      parseAvro(contract.avro),
      history.map((h) => parseAvro(h.schema)),
    );
    if (findings.length) {
      refusals.push(...findings.map((f) => `${contract.subject}: ${formatFinding(f)}`));
      continue;
    }
    const version = history.length + 1;
    releases.push({ key: `${contract.subject}/v${version}.avsc`, text: contract.avroText });
    rows.push([contract.subject, level, `v${version}`, 'released']);
  }
  if (refusals.length) {
    throw new CliError(
      `Nothing released: incompatible with the released history:\n  ${refusals.join('\n  ')}`,
    );
  }
  for (const release of releases) {
    const file = join(repo.historyDir, release.key);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, release.text, { flag: 'wx' }); // never overwrite a released version
    lock[release.key] = hashOf(release.text);
  }
  if (releases.length) {
    const sorted = Object.fromEntries(Object.entries(lock).sort(([a], [b]) => a.localeCompare(b)));
    mkdirSync(repo.historyDir, { recursive: true });
    writeFileSync(repo.lockFile, `${JSON.stringify(sorted, null, 2)}\n`);
  }
  console.log(formatTable(rows));
  console.log(`${releases.length} version(s) released.`);
}
