// Runs the whole platform on this machine.
//   npm start     stack (if not up), topics, ACLs (a stack with ORDERFLOW_KAFKA_ACLS=true), schemas,
//                 then the five services, each as its own Kafka principal on such a stack
//                 (service-env.ts), in the foreground with prefixed, readable logs; Ctrl-C stops
//                 everything.
//   npm run up    the same in the background; returns when every service is ready.
//   npm run down  stops the services that `up` started (the stack keeps running).
// Several instances of a service: `--instances billing=2,inventory=2` or ORDERFLOW_INSTANCES
// (scripts/instances.ts), each on its own port and labelled `billing-2` in logs and pids.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as pause } from 'node:timers/promises';
import { prettyFactory } from 'pino-pretty';
import { DEFAULT_PORTS, serviceCommand, type ServiceName } from '../services/shared/src';
import { spawnIssuer, tokenHelp } from './auth/local';
import { ensureBuilt } from './build';
import { instancesArgument, parseInstances, planInstances, type Instance } from './instances';
import { prepareSteps, serviceEnv, type PrepareStep } from './service-env';

const ROOT = join(__dirname, '..');
const STATE_DIR = join(ROOT, '.stack');
const PIDS_FILE = join(STATE_DIR, 'services.json');
const LOG_DIR = join(STATE_DIR, 'logs');
const READY_TIMEOUT_MS = 120_000;

function npmRun({ script, args, env }: PrepareStep): void {
  const command = [script, ...(args.length > 0 ? ['--', ...args] : [])];
  console.log(`\n▶ npm run ${command.join(' ')}`);
  const result = spawnSync('npm', ['run', '--silent', ...command], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  if (result.status !== 0) {
    console.error(`✗ npm run ${command.join(' ')} failed (exit ${result.status}); nothing was started.`);
    process.exit(1);
  }
}

function prepare(): void {
  ensureBuilt((line) => console.log(`\n▶ ${line}`));
  for (const step of prepareSteps()) npmRun(step);
}

function portOf(service: ServiceName): number {
  return Number(process.env[`${service.toUpperCase()}_PORT`] ?? DEFAULT_PORTS[service]);
}

/** What to run: read once, before anything starts, so a bad --instances changes nothing. */
function instances(): Instance[] {
  return planInstances(parseInstances(instancesArgument(process.argv.slice(3), process.env)), portOf);
}

function spawnService(instance: Instance, stdio: 'pipe' | number, detached: boolean): ChildProcess {
  return spawn(process.execPath, serviceCommand(instance.service), {
    cwd: ROOT,
    env: serviceEnv(instance),
    stdio: ['ignore', stdio, stdio],
    detached,
  });
}

async function waitReady({ label, port }: Instance, child?: ChildProcess): Promise<void> {
  const url = `http://127.0.0.1:${port}/health/ready`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null)
      throw new Error(`${label} exited with code ${child.exitCode}; see ${join(LOG_DIR, `${label}.log`)}`);
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await pause(250);
  }
  throw new Error(
    `${label} not ready at ${url} after ${READY_TIMEOUT_MS / 1000}s; see ${join(LOG_DIR, `${label}.log`)}`,
  );
}

function runningPids(): Record<string, number> {
  if (!existsSync(PIDS_FILE)) return {};
  const pids = JSON.parse(readFileSync(PIDS_FILE, 'utf8')) as Record<string, number>;
  return Object.fromEntries(Object.entries(pids).filter(([, pid]) => isAlive(pid)));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function foreground(): Promise<void> {
  const plan = instances();
  prepare();
  const pretty = prettyFactory({
    colorize: process.stdout.isTTY,
    ignore: 'pid,hostname,service',
    translateTime: 'HH:MM:ss.l',
    singleLine: true,
  });
  const width = Math.max(...plan.map((i) => i.label.length));
  const issuer = spawnIssuer('pipe', false);
  const children = [...plan, 'issuer' as const].map((instance) => {
    const child = instance === 'issuer' ? issuer : spawnService(instance, 'pipe', false);
    const label = `[${(instance === 'issuer' ? instance : instance.label).padEnd(width)}]`;
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        let text = line;
        try {
          text = pretty(JSON.parse(line)).trimEnd();
        } catch {
          // not a JSON log line: print as it is
        }
        console.log(`${label} ${text}`);
      });
    }
    child.on('exit', (code, signal) => console.log(`${label} exited (${signal ?? code})`));
    return child;
  });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping services…');
    for (const child of children) child.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    await Promise.all(plan.map((instance, i) => waitReady(instance, children[i])));
    console.log('\n✓ orderflow is running:');
    for (const instance of plan) console.log(`  ${listing(instance, width)}`);
    console.log(
      `\n  POST http://127.0.0.1:${portOf('orders')}/orders  (Ctrl-C stops it)\n${await tokenHelp(portOf('orders'))}\n`,
    );
  } catch (err) {
    console.error(`✗ ${(err as Error).message}`);
    stop();
  }
  await Promise.all(
    children.map((c) => (c.exitCode === null ? new Promise((resolve) => c.on('exit', resolve)) : undefined)),
  );
  process.exitCode = stopping ? 0 : 1;
}

async function background(): Promise<void> {
  const plan = instances();
  const width = Math.max(...plan.map((i) => i.label.length));
  const already = runningPids();
  if (plan.every((i) => already[i.label]) && already.issuer) {
    console.log('orderflow services are already running:');
    for (const instance of plan)
      console.log(`  ${listing(instance, width)}  (pid ${already[instance.label]})`);
    return;
  }
  prepare();
  mkdirSync(LOG_DIR, { recursive: true });
  const pids: Record<string, number> = { ...already };
  const children: Partial<Record<string, ChildProcess>> = {};
  for (const instance of plan) {
    if (pids[instance.label]) continue;
    const log = openSync(join(LOG_DIR, `${instance.label}.log`), 'a');
    const child = spawnService(instance, log, true);
    closeSync(log);
    child.unref();
    children[instance.label] = child;
    pids[instance.label] = child.pid!;
  }
  if (!pids.issuer) {
    const log = openSync(join(LOG_DIR, 'issuer.log'), 'a');
    const issuer = spawnIssuer(log, true);
    closeSync(log);
    issuer.unref();
    pids.issuer = issuer.pid!;
  }
  writeFileSync(PIDS_FILE, JSON.stringify(pids, null, 2));
  console.log('\nwaiting for every service to be ready…');
  try {
    await Promise.all(plan.map((instance) => waitReady(instance, children[instance.label])));
  } catch (err) {
    console.error(`✗ ${(err as Error).message}\n  stopping what was started (npm run down)`);
    await down();
    process.exit(1);
  }
  console.log('✓ orderflow is running:');
  for (const instance of plan)
    console.log(`  ${listing(instance, width)}  logs: .stack/logs/${instance.label}.log`);
  console.log(await tokenHelp(portOf('orders')));
}

function listing({ label, port }: Instance, width: number): string {
  return `${label.padEnd(width)}  http://127.0.0.1:${port}`;
}

async function down(): Promise<void> {
  const pids = runningPids();
  if (Object.keys(pids).length === 0) {
    console.log('no orderflow services are running');
    rmSync(PIDS_FILE, { force: true });
    return;
  }
  for (const [service, pid] of Object.entries(pids)) {
    console.log(`stopping ${service} (pid ${pid})`);
    process.kill(pid, 'SIGTERM');
  }
  const deadline = Date.now() + 30_000;
  while (Object.values(pids).some(isAlive) && Date.now() < deadline) await pause(100);
  for (const [service, pid] of Object.entries(pids)) {
    if (isAlive(pid)) {
      console.log(`${service} did not stop within 30s; killing it`);
      process.kill(pid, 'SIGKILL');
    }
  }
  rmSync(PIDS_FILE, { force: true });
  console.log('✓ services stopped (the stack keeps running; npm run stack:down stops it)');
}

const command = process.argv[2];
const commands: Record<string, () => Promise<void>> = { start: foreground, up: background, down };
if (!command || !commands[command]) {
  console.error('usage: tsx scripts/run.ts start|up|down');
  process.exit(2);
}
commands[command]!().catch((err: unknown) => {
  console.error(`✗ ${(err as Error).message}`);
  process.exit(1);
});
