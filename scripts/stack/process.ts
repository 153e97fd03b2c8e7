// Process plumbing for the local stack: detached spawns with output to a log file, liveness
// checks that survive pid reuse, stopping with a deadline, free-port checks and polling.
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as pause } from 'node:timers/promises';

/** A failure the CLI prints as one line (plus, at most, a log excerpt) and exits 1. */
export class StackError extends Error {
  constructor(
    message: string,
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'StackError';
  }
}

/** A process the stack started: its pid and a string its command line must contain. */
export interface Tracked {
  pid: number;
  /** Guards against pid reuse: a live pid without this exact argument is not ours. */
  marker: string;
}

export interface Detached {
  command: string;
  args: string[];
  logFile: string;
  marker: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
}

/** Starts a process in its own process group, output appended to `logFile`; it outlives us. */
export function spawnDetached(d: Detached): Tracked {
  rotate(d.logFile);
  const fd = openSync(d.logFile, 'a');
  try {
    writeSync(fd, `=== ${new Date().toISOString()} ${d.command} ${d.args.join(' ')}\n`);
    const options: SpawnOptions = {
      cwd: d.cwd,
      env: d.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
      uid: d.uid,
      gid: d.gid,
    };
    const child = spawn(d.command, d.args, options);
    child.on('error', () => undefined); // reported through the log and the readiness wait
    child.unref();
    if (child.pid === undefined) throw new StackError(`could not start ${d.command}; see ${d.logFile}`);
    return { pid: child.pid, marker: d.marker };
  } finally {
    closeSync(fd);
  }
}

/** Keeps one previous log: `x.log` becomes `x.log.1`. */
function rotate(logFile: string): void {
  if (existsSync(logFile)) renameSync(logFile, `${logFile}.1`);
}

/** Runs a command in the foreground with its output shown (downloads show their progress). */
export function runVisible(command: string, args: string[], what: string, cwd?: string): void {
  const result = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'], cwd });
  if (result.error) throw new StackError(`${what}: could not run ${command}: ${result.error.message}`);
  if (result.status !== 0) throw new StackError(`${what} failed (${command} exited with ${result.status})`);
}

/** Runs a command quietly; returns its output or throws with its last lines. */
export function runQuiet(command: string, args: string[], what: string, env?: NodeJS.ProcessEnv): string {
  const result = spawnSync(command, args, { encoding: 'utf8', env: env ?? process.env });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.error) throw new StackError(`${what}: could not run ${command}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new StackError(`${what} failed (exit ${result.status})`, lastLines(output, 20));
  }
  return output;
}

/** True while the process runs (not a zombie) and is still the one we started. */
export function isRunning(t: Tracked | undefined): t is Tracked {
  if (!t) return false;
  try {
    const stat = readFileSync(`/proc/${t.pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    // A dead main thread shows Z while the JVM's other threads still exit (holding its ports).
    if (state === 'Z' || state === 'X') return threads(t.pid) > 1;
    return readFileSync(`/proc/${t.pid}/cmdline`, 'utf8').split('\0').includes(t.marker);
  } catch {
    return false;
  }
}

function threads(pid: number): number {
  try {
    return Number(/^Threads:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Sends `signal` to the process group, waits up to `timeoutMs`, then SIGKILLs it. */
export async function stopProcess(t: Tracked, signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
  if (!isRunning(t)) return;
  signalGroup(t.pid, signal);
  const gone = await poll(() => !isRunning(t), timeoutMs);
  if (gone) return;
  signalGroup(t.pid, 'SIGKILL');
  if (!(await poll(() => !isRunning(t), 10_000))) {
    throw new StackError(`process ${t.pid} survived SIGKILL`);
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

async function poll(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (done()) return true;
    await pause(100);
  }
  return done();
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Called before every attempt; throws to give up early (e.g. the process exited). */
  guard?: () => void;
}

/** Polls `probe` until it returns true, with a deadline; the last probe error explains a timeout. */
export async function waitFor(what: string, probe: () => Promise<boolean>, o: WaitOptions): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  let last = '';
  for (;;) {
    o.guard?.();
    try {
      if (await probe()) return;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() >= deadline) {
      throw new StackError(
        `${what} not ready after ${Math.round(o.timeoutMs / 1000)}s${last ? ` (${last})` : ''}`,
      );
    }
    await pause(o.intervalMs ?? 250);
  }
}

/** Whether nothing holds `port` on `host` (we can bind it ourselves). */
export function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

/** The last `n` lines of a log file, for error messages. */
export function tailLog(file: string, n = 20): string {
  try {
    return lastLines(readFileSync(file, 'utf8'), n);
  } catch {
    return `(no log at ${file})`;
  }
}
