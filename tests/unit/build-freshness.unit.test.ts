// npm start, npm run up, the fault suite, the bench and the tests that spawn services rebuild
// dist/ first when it is missing or older than any source: staleReason() decides.
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { staleReason } from '../../scripts/build';

function repo(): { root: string; stamp: string; source: string } {
  const root = mkdtempSync(join(tmpdir(), 'orderflow-build-'));
  mkdirSync(join(root, 'services', 'orders', 'src'), { recursive: true });
  mkdirSync(join(root, 'dist'));
  const source = join(root, 'services', 'orders', 'src', 'main.ts');
  writeFileSync(source, 'export {};\n');
  return { root, stamp: join(root, 'dist', '.built'), source };
}

const at = (file: string, seconds: number) => utimesSync(file, seconds, seconds);

test('a repository never built must be built', () => {
  const { root, stamp } = repo();
  expect(staleReason(root, stamp)).toBe('dist/ has not been built');
});

test('a build newer than every source is up to date', () => {
  const { root, stamp, source } = repo();
  writeFileSync(stamp, '');
  at(source, 1_000);
  at(stamp, 2_000);
  expect(staleReason(root, stamp)).toBeUndefined();
});

test('a source saved after the build makes it stale, naming where the change is', () => {
  const { root, stamp, source } = repo();
  writeFileSync(stamp, '');
  at(stamp, 2_000);
  at(source, 3_000);
  expect(staleReason(root, stamp)).toBe('services changed since the last build');
});

test('a migration saved after the build makes it stale: the build copies migrations into dist/', () => {
  const { root, stamp } = repo();
  const migration = join(root, 'services', 'orders', 'src', 'migrations', '1796227001299_example.sql');
  mkdirSync(join(root, 'services', 'orders', 'src', 'migrations'));
  writeFileSync(migration, 'SELECT 1;\n');
  writeFileSync(stamp, '');
  at(stamp, 2_000);
  at(join(root, 'services', 'orders', 'src', 'main.ts'), 1_000);
  at(migration, 3_000);
  expect(staleReason(root, stamp)).toBe('services changed since the last build');
});
