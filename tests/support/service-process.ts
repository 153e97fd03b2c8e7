// A service as a real process (started as `npm start` starts it), so a fault can be a SIGKILL.
// Output goes to one log file per process start.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serviceCommand, type ServiceName } from '@orderflow/shared';
import { waitFor } from './wait';

const ROOT = join(__dirname, '..', '..');

export class ServiceProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<unknown> | undefined;
  /** How many times this instance was started: a new process (fresh metrics) each time. */
  starts = 0;
  logFile = '';

  constructor(
    readonly name: ServiceName,
    readonly port: number,
    private readonly env: Record<string, string>,
    private readonly logDir: string,
    /** Tells instances of one service apart in log file names. */
    private readonly tag = '',
  ) {}

  /** Whether this is an extra, tagged instance (e.g. a second one of its service). */
  get tagged(): boolean {
    return this.tag !== '';
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    if (this.running) throw new Error(`${this.name} is already running`);
    this.starts++;
    this.logFile = join(this.logDir, `${this.name}${this.tag}.${this.starts}.log`);
    const fd = openSync(this.logFile, 'a');
    try {
      this.child = spawn(process.execPath, serviceCommand(this.name), {
        cwd: ROOT,
        env: { ...this.env, PORT: String(this.port) },
        stdio: ['ignore', fd, fd],
      });
    } finally {
      closeSync(fd);
    }
    this.exited = once(this.child, 'exit');
  }

  /** Waits until /health/ready answers 200 (database, registry and Kafka reachable, group joined). */
  async ready(timeoutMs = 90_000): Promise<void> {
    await waitFor(
      async () => {
        if (!this.running) throw new Error(`${this.name} exited; see ${this.logFile}:\n${this.tail()}`);
        const res = await fetch(`${this.url}/health/ready`, { signal: AbortSignal.timeout(2_000) }).catch(
          () => undefined,
        );
        return res?.status === 200;
      },
      { timeoutMs, intervalMs: 200, what: `${this.name}${this.tag} to be ready` },
    );
  }

  /** SIGKILL: the process gets no chance to finish anything. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGKILL');
    await this.exited;
  }

  /**
   * kill -9 mid-batch: needs ORDERFLOW_TEST_CRASH_ON_SIGUSR2=true. SIGUSR2 makes the process SIGKILL
   * itself right after its next consumed chunk commits, before that chunk's offsets commit.
   */
  async crashMidBatch(timeoutMs = 60_000): Promise<void> {
    if (!this.running) throw new Error(`${this.name}${this.tag} is not running`);
    this.child!.kill('SIGUSR2');
    const deadline = AbortSignal.timeout(timeoutMs);
    await Promise.race([this.exited, once(deadline, 'abort')]);
    if (this.child!.signalCode === 'SIGKILL') return;
    await this.kill();
    throw new Error(
      `${this.name}${this.tag} handled no chunk within ${timeoutMs} ms of SIGUSR2; killed it anyway`,
    );
  }

  /** SIGTERM, and SIGKILL if it has not exited within the deadline; returns the exit code. */
  async stop(timeoutMs = 30_000): Promise<number | null> {
    if (!this.running) return this.child?.exitCode ?? null;
    this.child!.kill('SIGTERM');
    const deadline = AbortSignal.timeout(timeoutMs);
    await Promise.race([this.exited, once(deadline, 'abort')]);
    if (this.running) await this.kill();
    return this.child!.exitCode;
  }

  tail(lines = 15): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  log(): string {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }
}
