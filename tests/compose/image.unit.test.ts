// The production image, checked without a Docker engine: the Dockerfile compiles once in a
// build stage and ships compiled JavaScript with production dependencies only, and every
// service and job the image runs loads with nothing but those dependencies.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { SERVICE_NAMES, serviceCommand } from '@orderflow/shared';
import { copiedIntoImage, parseCopy, readDockerfile } from './dockerfile';

const ROOT = resolve(__dirname, '..', '..');
const run = promisify(execFile);
const stages = readDockerfile();
const final = stages.at(-1)!;
const runs = (stage: { instructions: { op: string; args: string }[] }) =>
  stage.instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
const devDependencies = Object.keys(
  (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: object })
    .devDependencies,
);

/** Absolute directories of the packages `npm ci --omit=dev` installs. */
async function productionPackages(): Promise<string[]> {
  const { stdout } = await run('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: ROOT }).catch(
    (error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }),
  );
  return stdout
    .split('\n')
    .filter((line) => line.includes(`${join(ROOT, 'node_modules')}/`))
    .map((line) => line.trim());
}

test('the Dockerfile compiles once, in a build stage; the final stage builds and installs nothing itself', () => {
  expect(stages.length).toBeGreaterThanOrEqual(2);
  const building = stages.filter((s) => runs(s).some((r) => r.includes('npm run build')));
  expect(building.map((s) => s.name)).toEqual(['build']);
  expect(runs(final)).toEqual([]);
  expect(new Set(stages.map((s) => s.from))).toEqual(new Set([final.from]));
});

test("the final stage's node_modules come only from a stage that installs production dependencies", () => {
  const copies = final.instructions.filter((i) => i.op === 'COPY').map((i) => parseCopy(i.args));
  const modules = copies.filter((c) => c.destination.replace(/^\.\//, '') === 'node_modules');
  expect(modules).toHaveLength(1);
  const source = stages.find((s) => s.name === modules[0]!.from)!;
  expect(runs(source).filter((r) => r.includes('npm ci'))).toEqual([expect.stringContaining('--omit=dev')]);
});

test('the image holds compiled JavaScript and the contract files, no TypeScript sources or tests', () => {
  expect(copiedIntoImage().sort()).toEqual(
    ['avro', 'dist/scripts', 'dist/services', 'node_modules', 'package.json', 'schemas'].sort(),
  );
  const fromBuild = final.instructions
    .filter((i) => i.op === 'COPY')
    .map((i) => parseCopy(i.args))
    .filter((c) => c.from === 'build');
  expect(fromBuild.flatMap((c) => c.sources).filter((s) => !s.startsWith('/app/dist/'))).toEqual([]);
  for (const service of SERVICE_NAMES) {
    const entry = serviceCommand(service).at(-1)!;
    expect([service, entry.endsWith('.js') && entry.startsWith('dist/services/')]).toEqual([service, true]);
  }
});

test("the build holds every migration beside the compiled code that runs it (the image's dist/services)", () => {
  const migrations = (root: string) =>
    readdirSync(join(ROOT, root), { recursive: true, encoding: 'utf8' })
      .filter((path) => path.endsWith('.sql'))
      .sort();
  const sources = migrations('services');
  expect(sources.length).toBeGreaterThan(SERVICE_NAMES.length);
  expect(migrations('dist/services')).toEqual(sources);
});

test('the production dependency tree holds no dev dependency', async () => {
  const packages = await productionPackages();
  expect(packages.length).toBeGreaterThan(10);
  const names = packages.map((dir) => /node_modules\/((?:@[^/]+\/)?[^/]+)$/.exec(dir)![1]!);
  // @types/* come along as dependencies of production packages (protobufjs's, for one): types only, no code.
  const devOnly = devDependencies.filter((name) => !name.startsWith('@types/'));
  expect(names.filter((name) => devOnly.includes(name))).toEqual([]);
  for (const name of ['kafkajs', 'pg', 'koa', 'avsc', 'node-pg-migrate']) expect(names).toContain(name);
}, 60_000);

// Each entry point is loaded with a guard that refuses any module outside the production tree;
// a bad setting then stops it right after loading, with the config reader's message.
describe('every service and job loads with production dependencies only', () => {
  let guard: string;
  let allowed: string;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orderflow-image-'));
    allowed = join(dir, 'allowed.json');
    writeFileSync(allowed, JSON.stringify(await productionPackages()));
    guard = join(dir, 'production-only.js');
    writeFileSync(
      guard,
      `const Module = require('node:module');
const allowed = new Set(require(${JSON.stringify(allowed)}));
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const file = resolveFilename.call(this, request, ...rest);
  const pkg = /^(.*\\/node_modules\\/(?:@[^/]+\\/)?[^/]+)\\//.exec(file);
  if (pkg && !allowed.has(pkg[1])) throw new Error('not a production dependency: ' + pkg[1]);
  return file;
};
`,
    );
  }, 60_000);

  async function load(args: string[], env: Record<string, string>) {
    return run(process.execPath, ['--require', guard, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, ...env },
    }).then(
      ({ stdout, stderr }) => ({ code: 0, output: `${stdout}${stderr}` }),
      (error: { code: number; stdout: string; stderr: string }) => ({
        code: error.code,
        output: `${error.stdout}${error.stderr}`,
      }),
    );
  }

  it.each(SERVICE_NAMES)(
    '%s',
    async (service) => {
      const { code, output } = await load(serviceCommand(service), { KAFKA_BROKERS: 'not a broker list' });
      expect(output).not.toContain('not a production dependency');
      expect([code, output]).toEqual([1, expect.stringContaining('KAFKA_BROKERS must be')]);
    },
    60_000,
  );

  it('topics:create', async () => {
    const { code, output } = await load(['dist/scripts/topics.js'], { KAFKA_BROKERS: 'not a broker list' });
    expect(output).not.toContain('not a production dependency');
    expect([code, output]).toEqual([1, expect.stringContaining('KAFKA_BROKERS must be')]);
  }, 60_000);

  it('register-schemas', async () => {
    const { code, output } = await load(['dist/scripts/schemas.js', 'register'], {
      SCHEMA_REGISTRY_URL: 'not a url',
    });
    expect(output).not.toContain('not a production dependency');
    expect([code, output]).toEqual([1, expect.stringContaining('SCHEMA_REGISTRY_URL must be')]);
  }, 60_000);
});
