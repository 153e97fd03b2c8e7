// The repository's root: where package.json, schemas/ and avro/ are. Found by walking up from
// this file, which sits in services/shared/src under tsx and in dist/services/shared/src once
// compiled (and under /app in the image), so both find the same contract files.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const REPO_ROOT = findRoot(__dirname);
