// The running platform of a round and the instances it abandoned. A phase waits for its
// orders at most twice its length (20 s at least); a platform that could not keep up is
// stopped and a new one started under a new prefix, so its backlog does not spill into the
// next phase. Abandoned instances keep their topics, tables and terminal reader; the
// correctness check restarts them to finish and check their orders.
import { setTimeout as sleep } from 'node:timers/promises';
import { CONFIG } from '../config';
import type { Harness } from '../harness';
import { TerminalWatcher } from '../lib/kafka';
import { processRssMb } from '../lib/os';
import type { Child } from '../lib/procs';
import { rssSampler, waitUntil } from '../lib/wait';
import { drive } from '../drive';
import type { Pipeline } from '../pipelines';
import type { PipelineRound } from '../results';

export interface Instance {
  watcher: TerminalWatcher;
  children: Child[];
  intake?: Child;
  prefix: string;
  accepted: string[];
  /** Orders not terminal by the deadline of the phase that sent them. */
  overdue: Set<string>;
}

/** A phase run on the platform's running instance (started if need be). */
export type PlatformPhase = (
  h: Harness,
  p: Pipeline,
  instances: Instances,
  result: PipelineRound,
  label: string,
) => Promise<void>;

/** Reads the terminal topic of the pipeline under `prefix` from its beginning, in a group of its own. */
export async function watchTerminal(
  h: Harness,
  p: Pipeline,
  prefix: string,
  group = 'bench-terminal',
): Promise<TerminalWatcher> {
  const watcher = new TerminalWatcher(
    h.kafka,
    p.terminalTopic(prefix),
    (m) => p.terminalOrderId(m),
    `${prefix}${group}`,
  );
  await watcher.start();
  return watcher;
}

export class Instances {
  private current: Instance | undefined;
  readonly abandoned: Instance[] = [];
  private readonly all: Instance[] = [];
  private readonly sampler = rssSampler(() => this.current?.children ?? []);

  constructor(
    private readonly h: Harness,
    private readonly p: Pipeline,
    private readonly id: string,
    private readonly result: PipelineRound,
    private readonly prefixes: string[],
  ) {}

  /** The running instance, started (and settled) if there is none. */
  async up(): Promise<Instance> {
    if (this.current) return this.current;
    const { h, p } = this;
    const prefix = `${this.id}${this.prefixes.length}-`;
    this.prefixes.push(prefix);
    await p.prepare(prefix);
    const watcher = await watchTerminal(h, p, prefix);
    const { intake, children } = await this.startProcesses(prefix);
    const instance: Instance = { watcher, children, intake, prefix, accepted: [], overdue: new Set() };
    this.current = instance;
    this.all.push(instance);
    await sleep(1_000);
    for (const c of children) if (c !== intake) this.result.rss.idle[c.name] ??= processRssMb(c.pid);
    // Settle: a little traffic end to end (JIT, connections, metadata), not measured.
    const settle = await drive(h, p, prefix, intake, 100, 2_000);
    await waitUntil(() => watcher.missing(settle.accepted) === 0, CONFIG.terminalWaitMs, 100);
    return instance;
  }

  /** Waits for `orders`; returns how many are still not terminal at the deadline (overdue). */
  async settle(orders: string[], phaseMs: number): Promise<number> {
    const instance = this.current!;
    const { watcher } = instance;
    await waitUntil(() => watcher.missing(orders) === 0, Math.max(20_000, 2 * phaseMs), 100);
    for (const o of orders) if (!watcher.seen.has(o)) instance.overdue.add(o);
    return watcher.missing(orders);
  }

  /**
   * Stops the running instance, whose backlog would spill into the next phase, and its terminal
   * reader (which would keep polling the broker meanwhile); the next up() starts a new one.
   */
  async abandon(): Promise<void> {
    const instance = this.current!;
    await this.stop(instance);
    await instance.watcher.stop();
    this.abandoned.push(instance);
  }

  /** The instance still running, if the last phase did not abandon it. */
  get running(): Instance | undefined {
    return this.current;
  }

  /**
   * Starts the processes of an abandoned instance again, on its own topics and tables, and a
   * new terminal reader that counts every terminal event of the topic from its beginning.
   */
  async resume(instance: Instance): Promise<void> {
    const watcher = await watchTerminal(this.h, this.p, instance.prefix, 'bench-terminal-check');
    const { intake, children } = await this.startProcesses(instance.prefix);
    Object.assign(instance, { watcher, intake, children });
  }

  async stop(instance: Instance): Promise<void> {
    await Promise.all(instance.children.map((c) => c.stop()));
    if (instance === this.current) this.current = undefined;
  }

  /** Stops every process and terminal reader still running and records the RSS peaks. */
  async close(): Promise<void> {
    this.sampler.stop();
    Object.assign(this.result.rss.peak, this.sampler.peak);
    this.current = undefined;
    for (const i of this.all) {
      await Promise.all(i.children.map((c) => c.stop()));
      await i.watcher.stop();
    }
  }

  private async startProcesses(prefix: string): Promise<{ intake?: Child; children: Child[] }> {
    const { h, p } = this;
    const [intake, workers] = await Promise.all([
      p.directInput ? undefined : p.startIntake(prefix),
      p.startWorkers(prefix),
    ]);
    return { intake, children: h.track([...(intake ? [intake] : []), ...workers]) };
  }
}
