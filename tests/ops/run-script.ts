// Runs an operator command (scripts/ops/*.ts) as a child process, the way `npm run` does.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import type { Env } from '@orderflow/shared';
import { waitFor } from '../support/wait';

const ROOT = join(__dirname, '..', '..');

export interface Running {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  /** Waits for a stdout line that `match` accepts and returns it. */
  line(match: (line: string) => boolean, what: string): Promise<string>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

export function startScript(script: string, args: string[], env: Env): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'ops', script), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const collect = (stream: NodeJS.ReadableStream, into: string[]) => {
    let partial = '';
    stream.on('data', (chunk: Buffer) => {
      const parts = (partial + chunk.toString()).split('\n');
      partial = parts.pop()!;
      into.push(...parts);
    });
    stream.on('end', () => partial && into.push(partial));
  };
  collect(child.stdout!, stdout);
  collect(child.stderr!, stderr);
  // 'close' comes after the output streams have ended, so every line is in by then.
  const exited = once(child, 'close').then(([code]) => code as number | null);
  return {
    child,
    stdout,
    stderr,
    exited,
    line: (match, what) =>
      waitFor(() => stdout.find(match), {
        timeoutMs: 60_000,
        what: `${script} to print ${what}; stderr: ${stderr.join('\n')}`,
      }),
  };
}

/** Runs a command to its end. */
export async function runScript(
  script: string,
  args: string[],
  env: Env,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const running = startScript(script, args, env);
  const code = await running.exited;
  return { code, stdout: running.stdout.join('\n'), stderr: running.stderr.join('\n') };
}
