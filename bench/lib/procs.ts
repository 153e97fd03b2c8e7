// Child processes of the bench: each service, peer worker or ceiling loop runs in its own
// Node process (so its CPU time and RSS are its own), started from bench/child.ts over IPC.
import { fork, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { join } from 'node:path';

export interface Child {
  name: string;
  pid: number;
  url?: string;
  process: ChildProcess;
  /** Messages the child sent after it was ready (progress of a sink, for instance). */
  onMessage(listener: (message: Record<string, unknown>) => void): void;
  stop(): Promise<void>;
}

const CHILD = join(__dirname, '..', 'child.ts');
/** The same entry from `npm run build`: orderflow's services run compiled, as in production. */
const COMPILED_CHILD = join(__dirname, '..', '..', 'dist', 'bench', 'child.js');

/** Starts `role` in a new process and waits until it says it is ready. */
export async function spawnChild(
  name: string,
  role: string[],
  env: Record<string, string>,
  logFile: string,
  nodeFlags: string[] = [],
  compiled = false,
  /** Another compiled entry (bench/intake-ab.ts: a copy of an earlier build, side by side). */
  compiledChild = COMPILED_CHILD,
): Promise<Child> {
  const fd = openSync(logFile, 'a');
  const child = fork(compiled ? compiledChild : CHILD, role, {
    // BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=.tmp/prof' profiles every child.
    execArgv: [
      ...nodeFlags,
      ...(compiled ? [] : ['--import', 'tsx']),
      ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
    ],
    env: { ...process.env, ...env },
    stdio: ['ignore', fd, fd, 'ipc'],
  });
  closeSync(fd);
  const listeners: ((m: Record<string, unknown>) => void)[] = [];
  const ready = new Promise<string | undefined>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} not ready after 90 s (see ${logFile})`)),
      90_000,
    );
    child.on('message', (m: Record<string, unknown>) => {
      if (m.ready) {
        clearTimeout(timer);
        resolve(m.url as string | undefined);
      } else for (const l of listeners) l(m);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before it was ready (see ${logFile})`));
    });
  });
  let url: string | undefined;
  try {
    url = await ready;
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  let stopped: Promise<void> | undefined;
  return {
    name,
    pid: child.pid!,
    url,
    process: child,
    onMessage: (l) => void listeners.push(l),
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.send({ stop: true }, (err) => err && child.kill('SIGKILL'));
      });
      return stopped;
    },
  };
}

export async function stopAll(children: Child[]): Promise<void> {
  await Promise.all(children.map((c) => c.stop()));
}
