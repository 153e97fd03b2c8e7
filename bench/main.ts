// `npm run bench [-- --quick] [-- --soak]`: the three pipelines (ceiling, peer, orderflow)
// measured in turn, round after round, on the same stack, payloads and partition count.
// `-- --tracing` measures orderflow alone, tracing off vs on, instead (bench/tracing.ts).
// Prints progress and a table of medians, writes raw results to bench/results/ and a chart
// to docs/. Every load targets 127.0.0.1 and is bounded in count and time.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { Pool } from 'pg';
import { withStackBrokers } from '../scripts/stack/brokers';
import { DEFAULTS, STACK_VERSIONS, TOPIC_DEFAULTS } from '@orderflow/shared';
import { closedLoop, openLoop, type LoadResult, type Request } from './lib/load';
import { generateIssuerKey, startIssuer } from '../scripts/auth/issuer';
import { TerminalWatcher, prefill, produceAtRate, topicCount, type OutMessage } from './lib/kafka';
import { cpuBreakdown, cpuMark, cpuSnapshot, processRssMb } from './lib/os';
import type { Child } from './lib/procs';
import { latencyHistogram, percentilesMs, type Percentiles } from './lib/stats';
import {
  ceilingMessages,
  ceilingPipeline,
  orderflowPipeline,
  peerPipeline,
  type BenchContext,
  type Pipeline,
} from './pipelines';
import { ensureBuilt } from '../scripts/build';
import { SerdeBench, type SerdeResult } from './serde';
import { printTable, summarize, writeChart } from './report';
import { compareTracing } from './tracing';

const argv = new Set(process.argv.slice(2));
const QUICK = argv.has('--quick');
const SOAK = argv.has('--soak');
const TRACING = argv.has('--tracing');

export const CONFIG = QUICK
  ? {
      mode: 'quick',
      warmup: false,
      rounds: 1,
      satConcurrency: 128,
      satMs: 3_000,
      rates: [100],
      oneAtATime: 20,
      e2eMs: 4_000,
      platMs: 3_000,
      drainCount: 3_000,
      drainMaxMs: 6_000,
      drains: 1,
      serdeMs: 100,
      terminalWaitMs: 45_000,
      soakMs: 600_000,
      soakRate: 200,
    }
  : {
      mode: 'full',
      warmup: true,
      rounds: 5,
      satConcurrency: 128,
      satMs: 8_000,
      // Under capacity: what a user feels when the platform is not queueing.
      rates: [100, 250],
      oneAtATime: 200,
      e2eMs: 8_000,
      platMs: 6_000,
      drainCount: 8_000,
      drainMaxMs: 6_000,
      drains: 4,
      serdeMs: 400,
      terminalWaitMs: 90_000,
      soakMs: 600_000,
      soakRate: 200,
    };

export interface PipelineRound {
  intake: { ordersPerSec: number; errors: number; latency: Percentiles; cpu: Record<string, number> };
  e2e: Record<
    string,
    {
      rate: number;
      sent: number;
      ok: number;
      errors: number;
      dropped: number;
      late: number;
      http?: Percentiles;
      e2e: Percentiles;
      /** Orders finished per second, first request to last terminal event. */
      throughput: number;
    }
  >;
  /** Orders sent one at a time, each after the last one's terminal event: entry → terminal. */
  oneAtATime?: { orders: number; late: number; latency: Percentiles };
  platform: { ordersPerSec: number; accepted: number; intakePerSec: number; cpu: Record<string, number> };
  drains: Record<
    string,
    { msgsPerSec: number; cpuMsPer1k: number; machineCpuMsPer1k: number; measured: number }
  >;
  rss: { idle: Record<string, number>; peak: Record<string, number> };
  /** On the last platform instance; `late`: orders of abandoned instances, not waited for. */
  correctness: {
    accepted: number;
    missing: number;
    duplicates: number;
    finishedInState?: number;
    late: number;
  };
}

export interface RoundResult {
  index: number;
  warmup: boolean;
  pipelines: Record<string, PipelineRound>;
  serde: SerdeResult;
}

const started = Date.now();
function progress(line: string): void {
  const s = Math.round((Date.now() - started) / 1000);
  console.log(`[${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}] ${line}`);
}
const fmt = (n: number | undefined, digits = 0) =>
  n === undefined || !Number.isFinite(n) ? '–' : n.toLocaleString('en-US', { maximumFractionDigits: digits });

const ITEMS = ['ceramic-mug', 'espresso-beans-1kg', 'pour-over-kettle', 'burr-grinder'];
let requestNo = 0;
const CUSTOMERS = 1000;
/** Each customer's `Bearer` token, minted once before the runs (signing is not what is measured). */
let customerTokens: string[] = [];
/** The same order bodies for every pipeline: one line, an item with ample stock. */
function nextRequest(): Request {
  const orderId = randomUUID();
  const n = requestNo++;
  return {
    orderId,
    authorization: customerTokens[n % CUSTOMERS],
    body: JSON.stringify({
      orderId,
      customerId: `c-${n % CUSTOMERS}`,
      email: 'ada@example.com',
      items: [{ itemId: ITEMS[n % ITEMS.length], quantity: 1 }],
    }),
  };
}

/** Samples the RSS of running children every 250 ms and keeps each one's maximum. */
function rssSampler(children: () => Child[]) {
  const peak: Record<string, number> = {};
  const sample = () => {
    for (const c of children()) peak[c.name] = Math.max(peak[c.name] ?? 0, processRssMb(c.pid));
  };
  const timer = setInterval(sample, 250);
  return {
    peak,
    stop() {
      sample();
      clearInterval(timer);
    },
  };
}

async function waitUntil(
  probe: () => boolean | Promise<boolean>,
  timeoutMs: number,
  intervalMs = 50,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > deadline) return false;
    await sleep(intervalMs);
  }
}

class Bench {
  private readonly runTag = randomBytes(2).toString('hex');
  private readonly children = new Map<number, string>();
  private producer!: Producer;

  constructor(
    private readonly ctx: BenchContext,
    private readonly kafka: Kafka,
  ) {}

  /** A producer per pipeline round: kafkajs keeps refreshing metadata of every topic it ever sent to, and each round deletes its topics. */
  private async withProducer<T>(work: () => Promise<T>): Promise<T> {
    this.producer = this.kafka.producer();
    await this.producer.connect();
    try {
      return await work();
    } finally {
      await this.producer.disconnect();
    }
  }

  private track(children: Child[]): Child[] {
    for (const c of children) this.children.set(c.pid, c.name);
    return children;
  }

  private snapshot() {
    return cpuSnapshot(this.children);
  }

  async round(p: Pipeline, index: number, label: string): Promise<PipelineRound> {
    const id = `b${this.runTag}${index}${p.name[0]}`;
    const result = { e2e: {}, drains: {}, rss: { idle: {}, peak: {} } } as unknown as PipelineRound;
    const prefixes: string[] = [];
    try {
      await this.withProducer(async () => {
        await this.intakePhase(p, `${id}i-`, result, label, prefixes);
        await this.platformPhase(p, `${id}p`, result, label, prefixes);
        await this.drainPhase(p, id, result, label, prefixes);
      });
    } finally {
      for (const prefix of prefixes)
        await p
          .cleanup(prefix)
          .catch((e: unknown) => progress(`cleanup of ${prefix} failed: ${(e as Error).message}`));
    }
    return result;
  }

  /** HTTP intake alone, saturated by a closed loop. */
  private async intakePhase(
    p: Pipeline,
    prefix: string,
    result: PipelineRound,
    label: string,
    prefixes: string[],
  ) {
    prefixes.push(prefix);
    await p.prepare(prefix);
    const [intake] = this.track([await p.startIntake(prefix)]);
    try {
      await sleep(1_000);
      result.rss.idle[intake!.name] = processRssMb(intake!.pid);
      const sampler = rssSampler(() => [intake!]);
      const before = this.snapshot();
      const load = await closedLoop(intake!.url!, nextRequest, CONFIG.satConcurrency, CONFIG.satMs);
      const cpu = cpuBreakdown(before, this.snapshot(), load.durationMs);
      sampler.stop();
      Object.assign(result.rss.peak, sampler.peak);
      result.intake = {
        ordersPerSec: load.ok / (load.durationMs / 1000),
        errors: load.errors,
        latency: percentilesMs(load.latency),
        cpu,
      };
      progress(
        `${label}: intake ${fmt(result.intake.ordersPerSec)}/s (p99 ${fmt(result.intake.latency.p99, 1)} ms, ${load.errors} errors) cpu ${JSON.stringify(cpu)}`,
      );
    } finally {
      await intake!.stop();
    }
  }

  /**
   * Every process of the pipeline: open-loop rates (latency), then a closed loop (throughput).
   * A phase waits for its orders to finish for at most twice its length (20 s at least); a
   * pipeline that could not keep up is restarted under a new prefix so that its backlog does
   * not spill into the next phase, and its unfinished orders are reported as late.
   */
  private async platformPhase(
    p: Pipeline,
    id: string,
    result: PipelineRound,
    label: string,
    prefixes: string[],
  ) {
    let instance:
      | { watcher: TerminalWatcher; children: Child[]; intake?: Child; prefix: string; accepted: string[] }
      | undefined;
    const sampler = rssSampler(() => instance?.children ?? []);
    let late = 0;
    const up = async () => {
      const prefix = `${id}${prefixes.length}-`;
      prefixes.push(prefix);
      await p.prepare(prefix);
      const watcher = new TerminalWatcher(
        this.kafka,
        p.terminalTopic(prefix),
        (m) => p.terminalOrderId(m),
        `${prefix}bench-terminal`,
      );
      await watcher.start();
      const [intake, workers] = await Promise.all([
        p.directInput ? undefined : p.startIntake(prefix),
        p.startWorkers(prefix),
      ]);
      const children = this.track([...(intake ? [intake] : []), ...workers]);
      instance = { watcher, children, intake, prefix, accepted: [] };
      await sleep(1_000);
      for (const c of children) if (c !== intake) result.rss.idle[c.name] ??= processRssMb(c.pid);
      // Settle: a little traffic end to end (JIT, connections, metadata), not measured.
      const settle = await this.drive(p, prefix, intake, 100, 2_000);
      await waitUntil(() => watcher.missing(settle.accepted) === 0, CONFIG.terminalWaitMs, 100);
      return instance;
    };
    const down = async () => {
      if (!instance) return;
      await Promise.all(instance.children.map((c) => c.stop()));
      await instance.watcher.stop();
      instance = undefined;
    };
    /** Waits for `orders`; returns how many are still not terminal at the deadline. */
    const settleOrders = async (orders: string[], phaseMs: number) => {
      const { watcher } = instance!;
      await waitUntil(() => watcher.missing(orders) === 0, Math.max(20_000, 2 * phaseMs), 100);
      const missing = watcher.missing(orders);
      if (missing > 0) {
        late += missing;
        await down(); // its backlog would spill into the next phase
      }
      return missing;
    };

    try {
      for (const rate of CONFIG.rates) {
        const { watcher, intake, prefix, accepted } = instance ?? (await up());
        watcher.resetLatency();
        const t0 = Date.now();
        const load = await this.drive(p, prefix, intake, rate, CONFIG.e2eMs);
        for (const o of load.accepted) accepted.push(o); // no spread: a closed loop can accept 100k+
        const httpLatency = intake ? percentilesMs(load.latency) : undefined;
        const arrivalsFrom = watcher.arrivals.length;
        const pending = await settleOrders(load.accepted, CONFIG.e2eMs);
        let last = t0 + 1;
        for (let i = arrivalsFrom; i < watcher.arrivals.length; i++)
          last = Math.max(last, watcher.arrivals[i]!);
        // Orders finished per second, from the first request to the last terminal event.
        const throughput = (load.accepted.length - pending) / ((last - t0) / 1000);
        // Orders still in flight at the deadline count with what they have waited so far (a lower bound).
        const now = Date.now();
        load.accepted.forEach(
          (o, i) => watcher.seen.has(o) || watcher.latency.recordValue((now - load.acceptedAt[i]!) * 1000),
        );
        const e2e = percentilesMs(watcher.latency);
        result.e2e[String(rate)] = {
          rate,
          sent: load.sent,
          ok: load.ok,
          errors: load.errors,
          dropped: load.dropped,
          late: pending,
          http: httpLatency,
          e2e,
          throughput,
        };
        const http = httpLatency
          ? ` http p50 ${fmt(httpLatency.p50, 1)} p99 ${fmt(httpLatency.p99, 1)} ms ·`
          : '';
        progress(
          `${label}: ${rate}/s:${http} e2e p50 ${fmt(e2e.p50, 1)} p99 ${fmt(e2e.p99, 1)} p99.9 ${fmt(e2e.p999, 1)} ms, ${fmt(throughput)} orders/s finished (${load.ok} ok, ${load.errors} errors, ${pending} not terminal in time)`,
        );
      }

      {
        const { watcher, intake, prefix, accepted } = instance ?? (await up());
        const alone = latencyHistogram();
        let lateAlone = 0;
        for (let i = 0; i < CONFIG.oneAtATime; i++) {
          const start = performance.now();
          const orderId = await this.sendOne(p, prefix, intake);
          accepted.push(orderId);
          const at = await watcher.arrivalOf(orderId, 10_000);
          if (at === undefined) lateAlone++;
          else alone.recordValue(Math.max(1, Math.round((at - start) * 1000)));
        }
        result.oneAtATime = { orders: CONFIG.oneAtATime, late: lateAlone, latency: percentilesMs(alone) };
        progress(
          `${label}: one order at a time: p50 ${fmt(result.oneAtATime.latency.p50, 1)} p99 ${fmt(result.oneAtATime.latency.p99, 1)} ms over ${CONFIG.oneAtATime} orders (${lateAlone} not terminal within 10 s)`,
        );
      }

      const { watcher, intake, prefix, accepted } = instance ?? (await up());
      const before = this.snapshot();
      const t0 = Date.now();
      const load = await this.drive(p, prefix, intake, 'max', CONFIG.platMs);
      for (const o of load.accepted) accepted.push(o); // no spread: a closed loop can accept 100k+
      const arrivalsFrom = watcher.arrivals.length;
      await waitUntil(() => watcher.missing(load.accepted) === 0, Math.max(20_000, 2 * CONFIG.platMs), 100);
      let done = t0 + 1;
      for (let i = arrivalsFrom; i < watcher.arrivals.length; i++)
        done = Math.max(done, watcher.arrivals[i]!);
      const cpu = cpuBreakdown(before, this.snapshot(), done - t0);
      const delivered = load.accepted.length - watcher.missing(load.accepted);
      result.platform = {
        ordersPerSec: delivered / ((done - t0) / 1000),
        accepted: load.accepted.length,
        intakePerSec: load.ok / (load.durationMs / 1000),
        cpu,
      };
      progress(
        `${label}: platform ${fmt(result.platform.ordersPerSec)} orders/s through every worker (${delivered} of ${load.accepted.length} orders, intake ${fmt(result.platform.intakePerSec)}/s) cpu ${JSON.stringify(cpu)}`,
      );

      // Correctness, on the instance that is still up: every accepted order terminal, once.
      await waitUntil(() => watcher.missing(accepted) === 0, CONFIG.terminalWaitMs, 200);
      const finishedInState = p.finishedInState
        ? await waitUntil(
            async () => (await p.finishedInState!(prefix, accepted)) === accepted.length,
            30_000,
            250,
          ).then(() => p.finishedInState!(prefix, accepted))
        : undefined;
      result.correctness = {
        accepted: accepted.length,
        missing: watcher.missing(accepted),
        duplicates: watcher.duplicates(),
        finishedInState,
        late,
      };
      progress(`${label}: correctness ${JSON.stringify(result.correctness)}`);
    } finally {
      sampler.stop();
      Object.assign(result.rss.peak, sampler.peak);
      await down();
    }
  }

  /** One order, over HTTP (answered 201) or straight to Kafka; its id. */
  private async sendOne(p: Pipeline, prefix: string, intake: Child | undefined): Promise<string> {
    if (!intake) {
      const message = ceilingMessages(this.ctx)();
      await this.producer.send({ topic: p.directInput!(prefix), acks: -1, messages: [message] });
      return message.key;
    }
    const request = nextRequest();
    const response = await fetch(`${intake.url!}/orders`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(request.authorization ? { authorization: request.authorization } : {}),
      },
      body: request.body,
    });
    await response.arrayBuffer();
    if (response.status !== 201) throw new Error(`${p.name} answered ${response.status} to one order`);
    return request.orderId;
  }

  /** Orders at `rate` (open loop) or as fast as possible (closed loop), over HTTP or straight to Kafka. */
  private async drive(
    p: Pipeline,
    prefix: string,
    intake: Child | undefined,
    rate: number | 'max',
    ms: number,
  ): Promise<LoadResult> {
    if (intake)
      return rate === 'max'
        ? closedLoop(intake.url!, nextRequest, CONFIG.satConcurrency, ms)
        : openLoop(intake.url!, nextRequest, rate, ms);
    const topic = p.directInput!(prefix);
    const make = ceilingMessages(this.ctx);
    const start = performance.now();
    let keys: string[];
    if (rate === 'max') {
      keys = [];
      const end = start + ms;
      const sender = async () => {
        while (performance.now() < end) {
          const batch: OutMessage[] = Array.from({ length: 500 }, make);
          await this.producer.send({ topic, acks: -1, messages: batch });
          for (const m of batch) keys.push(m.key);
        }
      };
      await Promise.all([sender(), sender(), sender(), sender()]);
    } else keys = await produceAtRate(this.producer, topic, make, rate, ms);
    const durationMs = performance.now() - start;
    return {
      sent: keys.length,
      ok: keys.length,
      errors: 0,
      dropped: 0,
      durationMs,
      latency: latencyHistogram(),
      accepted: keys,
      acceptedAt: keys.map(() => Date.now()),
      statuses: {},
    };
  }

  /** Each worker alone, draining a pre-filled backlog: messages/s and CPU-ms per 1,000. */
  private async drainPhase(
    p: Pipeline,
    id: string,
    result: PipelineRound,
    label: string,
    prefixes: string[],
  ) {
    const names = p.drainNames.slice(0, p.name === 'ceiling' ? 3 : CONFIG.drains);
    for (const [k, name] of names.entries()) {
      const prefix = `${id}d${k}-`;
      prefixes.push(prefix);
      await p.prepare(prefix);
      // The raw loops are much faster: a bigger backlog keeps their measurement window long enough.
      const n = CONFIG.drainCount * (name === 'consume-only' ? 20 : name === 'relay-batch' ? 4 : 1);
      const spec = await p.drain(prefix, name, n);
      await prefill(this.producer, spec.input, spec.messages);
      const admin = this.kafka.admin();
      await admin.connect();
      const [child] = this.track([await spec.start()]);
      try {
        let first: { count: number; mark: ReturnType<typeof cpuMark> } | undefined;
        let last: { count: number; mark: ReturnType<typeof cpuMark> } | undefined;
        if (spec.output) {
          const output = spec.output;
          await waitUntil(
            async () => {
              const count = await topicCount(admin, output);
              if (!first && count > 0) first = { count, mark: cpuMark(child!.pid) };
              if (first) last = { count, mark: cpuMark(child!.pid) };
              return (
                count >= n || (first !== undefined && performance.now() - first.mark.at > CONFIG.drainMaxMs)
              );
            },
            120_000,
            50,
          );
        } else {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 120_000);
            child!.onMessage((m) => {
              if (m.first) first = { count: Number(m.seen), mark: cpuMark(child!.pid) };
              if (m.done) {
                last = { count: Number(m.seen), mark: cpuMark(child!.pid) };
                clearTimeout(timer);
                resolve();
              }
            });
          });
        }
        if (!first || !last || last.count <= first.count)
          throw new Error(`${label}: ${name} drained nothing measurable`);
        const measured = Math.min(n, last.count) - first.count;
        const seconds = (last.mark.at - first.mark.at) / 1000;
        result.drains[name] = {
          msgsPerSec: measured / seconds,
          cpuMsPer1k: (last.mark.process - first.mark.process) / (measured / 1000),
          machineCpuMsPer1k: (last.mark.machine - first.mark.machine) / (measured / 1000),
          measured,
        };
        const d = result.drains[name]!;
        progress(
          `${label}: drain ${name} ${fmt(d.msgsPerSec)} msg/s, ${fmt(d.cpuMsPer1k, 1)} CPU-ms/1k (machine ${fmt(d.machineCpuMsPer1k, 1)}) over ${measured} msgs`,
        );
      } finally {
        await child!.stop();
        await admin.disconnect();
      }
    }
  }

  /** Ten minutes of orderflow at a steady open-loop rate: RSS per service at the start and end. */
  async soak(
    p: Pipeline,
  ): Promise<Record<string, { startMb: number; endMb: number; growthPct: number; peakMb: number }>> {
    const prefix = `b${this.runTag}soak-`;
    await p.prepare(prefix);
    const watcher = new TerminalWatcher(
      this.kafka,
      p.terminalTopic(prefix),
      (m) => p.terminalOrderId(m),
      `${prefix}bench-terminal`,
    );
    await watcher.start();
    const [intake, workers] = await Promise.all([p.startIntake(prefix), p.startWorkers(prefix)]);
    const children = this.track([intake, ...workers]);
    const sampler = rssSampler(() => children);
    const start: Record<string, number> = {};
    const accepted: string[] = [];
    try {
      const slice = 30_000;
      const slices = Math.ceil(CONFIG.soakMs / slice);
      for (let i = 0; i < slices; i++) {
        const load = await openLoop(intake.url!, nextRequest, CONFIG.soakRate, slice);
        for (const o of load.accepted) accepted.push(o); // no spread: a closed loop can accept 100k+
        if (i === 1) for (const c of children) start[c.name] = processRssMb(c.pid); // after a minute of warm-up
        progress(
          `soak ${((i + 1) * slice) / 1000}s: ${load.ok} ok, RSS ${children.map((c) => `${c.name.replace('orderflow.', '')} ${fmt(processRssMb(c.pid))}`).join(', ')} MB`,
        );
      }
      await waitUntil(() => watcher.missing(accepted) === 0, CONFIG.terminalWaitMs, 200);
      const out: Record<string, { startMb: number; endMb: number; growthPct: number; peakMb: number }> = {};
      for (const c of children) {
        const endMb = processRssMb(c.pid);
        out[c.name] = {
          startMb: start[c.name]!,
          endMb,
          growthPct: (endMb / start[c.name]! - 1) * 100,
          peakMb: sampler.peak[c.name] ?? endMb,
        };
      }
      progress(
        `soak: ${accepted.length} orders, ${watcher.missing(accepted)} not terminal, ${watcher.duplicates()} duplicates; ${JSON.stringify(out)}`,
      );
      return out;
    } finally {
      sampler.stop();
      await Promise.all(children.map((c) => c.stop()));
      await watcher.stop();
      await p.cleanup(prefix);
    }
  }
}

async function main(): Promise<void> {
  ensureBuilt(); // orderflow's services run compiled, as in production
  // Auth on, as deployed: every request carries its customer's token, verified by orders.
  const issuer = await startIssuer(await generateIssuerKey());
  issuer.unref();
  customerTokens = await Promise.all(
    Array.from({ length: CUSTOMERS }, async (_, n) => {
      const token = await issuer.mint({ subject: `c-${n}`, expiresInSeconds: 24 * 3600 });
      return `Bearer ${token}`;
    }),
  );
  const stack = {
    KAFKA_BROKERS: withStackBrokers().KAFKA_BROKERS!,
    SCHEMA_REGISTRY_URL: process.env.SCHEMA_REGISTRY_URL ?? DEFAULTS.SCHEMA_REGISTRY_URL,
    DATABASE_URL: process.env.DATABASE_URL ?? DEFAULTS.DATABASE_URL,
    ...issuer.serviceEnv(),
  };
  for (const url of [
    stack.SCHEMA_REGISTRY_URL,
    stack.DATABASE_URL,
    `tcp://${stack.KAFKA_BROKERS.split(',')[0]}`,
  ]) {
    const host = new URL(url).hostname;
    if (host !== '127.0.0.1' && host !== 'localhost')
      throw new Error(`the bench only runs against a stack on this machine, not ${host}`);
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const resultsDir = join(__dirname, 'results');
  const logDir = join(resultsDir, `logs-${stamp}`);
  mkdirSync(logDir, { recursive: true });
  const kafka = new Kafka({
    clientId: 'orderflow-bench',
    brokers: stack.KAFKA_BROKERS.split(','),
    // kafkajs logs each retried metadata miss on a just-created topic as an ERROR line in the
    // middle of the progress output; a failure that matters reaches the bench as a rejection.
    logLevel: logLevel.NOTHING,
  });
  const pool = new Pool({ connectionString: stack.DATABASE_URL, max: 2 });
  const serde = new SerdeBench(stack.SCHEMA_REGISTRY_URL, `b${randomBytes(2).toString('hex')}serde-`);
  await serde.setup();
  const probe = await serde.run(50);
  const ctx: BenchContext = {
    stack,
    kafka,
    logDir,
    sql: async (text, params) => (await pool.query(text, params)).rows,
    payloadBytes: probe.bytes.codec,
  };
  const pgVersion = ((await pool.query('SHOW server_version')).rows[0] as { server_version: string })
    .server_version;
  const machine = {
    cores: cpus().length,
    cpu: cpus()[0]?.model,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    kafka: STACK_VERSIONS.kafka,
    postgres: pgVersion.split(' ')[0],
    registry: `Apicurio ${STACK_VERSIONS.apicurioRegistry}`,
    kafkajs: (
      JSON.parse(readFileSync(join(__dirname, '..', 'node_modules', 'kafkajs', 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version,
    partitions: TOPIC_DEFAULTS.partitions,
  };
  progress(
    `bench ${CONFIG.mode}: ${CONFIG.warmup ? 'warm-up + ' : ''}${CONFIG.rounds} rounds × ${TRACING ? 'orderflow with tracing off and on' : 'ceiling, peer, orderflow'} on ${machine.cores} cores; logs in ${logDir}`,
  );

  const bench = new Bench(ctx, kafka);
  if (TRACING) {
    try {
      const rounds = await compareTracing(ctx, {
        ...CONFIG,
        resultsDir,
        stamp,
        progress,
        round: (p, index, label) => bench.round(p, index, label),
      });
      const bad = rounds
        .flatMap((r) => [r.off, r.on])
        .filter((r) => r.correctness.missing + r.correctness.duplicates > 0);
      if (bad.length > 0) {
        console.error(`correctness FAILED: ${JSON.stringify(bad.map((r) => r.correctness))}`);
        process.exitCode = 1;
      }
    } finally {
      await pool.end();
    }
    return;
  }
  const file = join(resultsDir, `bench-${CONFIG.mode}-${stamp}.json`);
  const pipelines = [ceilingPipeline(ctx), peerPipeline(ctx), orderflowPipeline(ctx)];
  const rounds: RoundResult[] = [];
  const total = CONFIG.rounds + (CONFIG.warmup ? 1 : 0);
  let soak: Awaited<ReturnType<Bench['soak']>> | undefined;
  try {
    for (let r = 0; r < total; r++) {
      const warmup = CONFIG.warmup && r === 0;
      const round: RoundResult = {
        index: r,
        warmup,
        pipelines: {},
        serde: undefined as unknown as SerdeResult,
      };
      for (const p of pipelines) {
        const label = `${warmup ? 'warm-up' : `round ${r + (CONFIG.warmup ? 0 : 1)}/${CONFIG.rounds}`} ${p.name}`;
        round.pipelines[p.name] = await bench.round(p, r, label);
      }
      round.serde = await serde.run(CONFIG.serdeMs);
      const o = round.serde.opsPerSec;
      progress(
        `serde: codec encode ${fmt(o['codec.encode'])}/s vs JSON ${fmt(o['json.encode'])}/s; decode ${fmt(o['codec.decode'])}/s vs JSON ${fmt(o['json.decode'])}/s; ${round.serde.bytes.codec} vs ${round.serde.bytes.json} bytes; ${round.serde.registryCallsAfterWarmup} registry calls`,
      );
      rounds.push(round);
      writeFileSync(file, JSON.stringify({ config: CONFIG, machine, rounds }, null, 1)); // nothing lost if a later round fails
    }
    // The rounds are saved before the soak, so a failing soak loses nothing else.
    writeFileSync(file, JSON.stringify({ config: CONFIG, machine, rounds }, null, 1));
    if (SOAK) {
      soak = await bench.soak(pipelines[2]!).catch((e: unknown) => {
        progress(`soak failed: ${(e as Error).message}`);
        return undefined;
      });
    }
  } finally {
    await pool.end();
  }

  const summary = summarize(
    rounds.filter((r) => !r.warmup),
    CONFIG.rates,
  );
  printTable(summary, soak);
  writeFileSync(file, JSON.stringify({ config: CONFIG, machine, rounds, summary, soak }, null, 1));
  // A quick run's chart stays with its results; the full run's goes to docs/.
  const chart = QUICK
    ? join(resultsDir, `bench-quick-${stamp}.svg`)
    : join(__dirname, '..', 'docs', 'bench-results.svg');
  writeChart(chart, summary, machine, CONFIG.rates);
  progress(`raw results: ${file}; chart: ${chart}`);
  const bad = Object.entries(summary.correctness).filter(
    ([name, c]) => name !== 'peer' && (c.missing > 0 || c.duplicates > 0),
  );
  if (bad.length > 0) {
    console.error(`correctness FAILED: ${JSON.stringify(Object.fromEntries(bad))}`);
    process.exitCode = 1;
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
