// The first start's downloads: one line saying what, how big and that it is once; Maven kept
// quiet (its per-artifact lines never reach the terminal); progress while a large file grows.
// A stand-in script plays Maven: it prints Maven's chatter and writes a file bit by bit.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstFetchLine, mavenArgs, runMaven } from '../../scripts/stack/fetch';
import { StackError } from '../../scripts/stack/process';

const dir = mkdtempSync(join(tmpdir(), 'orderflow-fetch-'));

/** An executable that prints `lines`, appends `chunks` MB to dir/archive.tar.gz.part, then exits with `code`. */
function standIn(name: string, chunks: number, code: number, lines: string[]): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    `#!/usr/bin/env node
const { appendFileSync } = require('node:fs');
const args = process.argv.slice(2);
console.log('args ' + JSON.stringify(args));
for (const line of ${JSON.stringify(lines)}) console.log(line);
let left = ${chunks};
const step = () => {
  if (left-- <= 0) process.exit(${code});
  appendFileSync(${JSON.stringify(join(dir, 'archive.tar.gz.part'))}, Buffer.alloc(1_000_000));
  setTimeout(step, 150);
};
step();
`,
  );
  chmodSync(file, 0o755);
  return file;
}

const CHATTER = Array.from(
  { length: 50 },
  (_, i) => `Downloading from central: https://repo.maven.apache.org/maven2/x/${i}.jar`,
);

test('the first-start line names each download, its size, the total and that it happens once', () => {
  const line = firstFetchLine(
    [
      { what: 'Apache Kafka 3.9.1', megabytes: 46 },
      { what: 'Apicurio Registry 3.3.3', megabytes: 160 },
    ],
    '/repo/.stack',
  );
  expect(line).toContain('Apache Kafka 3.9.1 (~46 MB)');
  expect(line).toContain('Apicurio Registry 3.3.3 (~160 MB)');
  expect(line).toContain('~206 MB in all');
  expect(line).toMatch(/happens once/);
  expect(line.split('\n')).toHaveLength(1);
});

test('Maven runs with -q in batch mode, so it prints no line per artifact', () => {
  expect(mavenArgs(['dependency:copy'])).toEqual(['-B', '-q', '-Dstyle.color=never', 'dependency:copy']);
});

test("Maven's own lines never reach the terminal; progress lines report the growing file", async () => {
  // A separate process, so that whatever Maven might print to an inherited stdout is seen too.
  const script = `
    const { runMaven } = require(${JSON.stringify(join(__dirname, '..', '..', 'scripts', 'stack', 'fetch.ts'))});
    runMaven({
      command: ${JSON.stringify(standIn('mvn-ok', 6, 0, CHATTER))},
      args: ['dependency:copy'],
      what: 'fetching a test archive',
      progress: { dir: ${JSON.stringify(dir)}, name: 'archive.tar.gz', megabytes: 6, label: 'test archive' },
      everyMs: 100,
    }).then(() => console.log('done'), (e) => { console.log('failed ' + e.message); process.exit(1); });`;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const [code] = await once(child, 'close');
  const printed = stdout.split('\n').filter(Boolean);
  expect([code, printed.at(-1)]).toEqual([0, 'done']);
  const progress = printed.slice(0, -1);
  expect(progress.filter((line) => !/^ {2}test archive: \d+ of ~6 MB \(\d+%\), \d+ s$/.test(line))).toEqual(
    [],
  );
  const megabytes = progress.map((line) => Number(/: (\d+) of/.exec(line)![1]));
  expect(megabytes.length).toBeGreaterThan(1);
  expect(megabytes).toEqual([...megabytes].sort((a, b) => a - b));
  expect(megabytes.at(-1)!).toBeGreaterThan(megabytes[0]!);
}, 60_000);

test("a failing Maven run throws a StackError carrying Maven's last lines", async () => {
  const run = runMaven({
    command: standIn('mvn-fail', 0, 1, ['[ERROR] Failed to execute goal: Could not resolve artifact']),
    args: ['dependency:copy'],
    what: 'fetching a missing archive',
    print: () => undefined,
  });
  await expect(run).rejects.toThrow(StackError);
  await expect(run).rejects.toMatchObject({
    message: 'fetching a missing archive failed (mvn exited with 1)',
    detail: expect.stringContaining('Could not resolve artifact'),
  });
});
