// dist/ kept in step with the sources: `npm start`, `npm run up`, the fault suite, the bench and
// the tests that spawn service processes run compiled JavaScript, so each calls ensureBuilt()
// first. It rebuilds (`npm run build`) when dist/ is missing or any input is newer than the
// last build (the migrations' .sql files, which the build copies, included); otherwise it
// costs a walk over the sources' modification times.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../services/shared/src/root';

/** Written after a successful build; its time is the build's. */
export const BUILD_STAMP = join(REPO_ROOT, 'dist', '.built');

/** What the build reads: the sources it compiles and its settings. */
const INPUTS = ['services', 'scripts', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];

function newestTime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return /\.(ts|json|sql)$/.test(path) ? stat.mtimeMs : 0;
  let newest = 0;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestTime(join(path, entry)));
  return newest;
}

/** Why dist/ must be rebuilt, or undefined when it is up to date. */
export function staleReason(root = REPO_ROOT, stamp = BUILD_STAMP): string | undefined {
  if (!existsSync(stamp)) return 'dist/ has not been built';
  const built = statSync(stamp).mtimeMs;
  const changed = INPUTS.find((input) => newestTime(join(root, input)) > built);
  return changed ? `${changed} changed since the last build` : undefined;
}

/** Builds dist/ when it is missing or stale; throws with tsc's output when the build fails. */
export function ensureBuilt(log: (line: string) => void = console.log): void {
  const reason = staleReason();
  if (!reason) return;
  log(`building dist/ (${reason}): npm run build`);
  const started = Date.now();
  const result = spawnSync('npm', ['run', '--silent', 'build'], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`npm run build failed:\n${result.stdout ?? ''}${result.stderr ?? ''}`.trim());
  }
  // Dated at the build's start, so a source saved during the build makes the next call rebuild.
  writeFileSync(BUILD_STAMP, `${new Date(started).toISOString()}\n`);
  utimesSync(BUILD_STAMP, started / 1000, started / 1000);
  log(`built dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
