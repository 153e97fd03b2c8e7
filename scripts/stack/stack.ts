// The local stack without Docker: Kafka (KRaft: one broker, or a cluster of three), Apicurio
// Registry (Confluent-compatible API) and PostgreSQL, fetched into .stack/ and run as detached
// processes whose pids live in .stack/pids.json, which also remembers how many brokers were
// chosen. The API below is what `npm run stack:*` and tests use.
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { setTimeout as pause } from 'node:timers/promises';
import { brokersOf, kafkaNodes, MAX_BROKERS, type KafkaNode } from './cluster';
import { firstFetchLine } from './fetch';
import {
  fetchKafka,
  KAFKA_DOWNLOAD_MB,
  kafkaFetched,
  kafkaReady,
  KAFKA_MIN_JAVA,
  newClusterId,
  startKafka,
} from './kafka';
import { findJava } from './java';
import { dropDatabase, ensureDatabases, initEmbedded, postgresAnswers, startEmbedded } from './postgres';
import { isRunning, portFree, StackError, stopProcess, tailLog, waitFor, type Tracked } from './process';
import {
  fetchRegistry,
  REGISTRY_DOWNLOAD_MB,
  registryFetched,
  registryReady,
  REGISTRY_MIN_JAVA,
  startRegistry,
} from './registry';
import { readSettings, redact, type Settings } from './settings';
import { zipkinDown, zipkinStatus, zipkinUp } from './zipkin';

export { StackError } from './process';

/** `kafka` is every Kafka node; `kafka-<n>` is node n of a cluster. */
export type ComponentName = 'kafka' | `kafka-${number}` | 'registry' | 'postgres';
type Kind = 'kafka' | 'registry' | 'postgres';
const kindOf = (name: ComponentName): Kind => (name.startsWith('kafka') ? 'kafka' : (name as Kind));

interface Running extends Tracked {
  url: string;
}

interface State {
  /** Whether PostgreSQL is the server of DATABASE_URL or one we started. */
  postgres?: 'external' | 'embedded';
  /** How many Kafka nodes `stack:up -- --brokers <n>` chose; kept until chosen again. */
  brokers?: number;
  processes: Partial<Record<string, Running>>;
}

export interface ComponentStatus {
  name: ComponentName | 'zipkin';
  running: boolean;
  url: string;
  pid?: number;
  /** 'external' for a PostgreSQL server the stack did not start. */
  managed: boolean;
  logFile?: string;
}

export interface Log {
  log?: (line: string) => void;
}

const READY_TIMEOUT_MS: Record<Kind, number> = {
  postgres: 60_000,
  kafka: 120_000,
  registry: 180_000,
};
const STOP_TIMEOUT_MS: Record<Kind, number> = { postgres: 30_000, kafka: 30_000, registry: 20_000 };
/** PostgreSQL's SIGTERM waits for every client to leave; SIGINT is its fast, clean shutdown. */
const STOP_SIGNAL: Record<Kind, NodeJS.Signals> = {
  postgres: 'SIGINT',
  kafka: 'SIGTERM',
  registry: 'SIGTERM',
};

/** A stack's settings with its Kafka nodes, as many as were chosen. */
interface Stack extends Settings {
  nodes: KafkaNode[];
}

const withNodes = (s: Settings, brokers: number): Stack => ({ ...s, nodes: kafkaNodes(s.kafka, brokers) });

function nodeOf(s: Stack, name: ComponentName): KafkaNode {
  const node = s.nodes.find((n) => n.key === name);
  if (!node) {
    const known = s.nodes.map((n) => n.key).join(', ');
    throw new StackError(`no Kafka node ${name} in this stack (it has ${known})`);
  }
  return node;
}

/** The components a name stands for: `kafka` is every node. */
function expand(s: Stack, name: ComponentName): ComponentName[] {
  return name === 'kafka' ? s.nodes.map((n) => n.key as ComponentName) : [name];
}

const urlOf = (s: Stack, name: ComponentName): string =>
  kindOf(name) === 'kafka'
    ? nodeOf(s, name).brokers
    : name === 'registry'
      ? s.registry.url
      : redact(s.postgres.url);
const logOf = (s: Stack, name: ComponentName): string =>
  kindOf(name) === 'kafka' ? nodeOf(s, name).logFile : s[name as 'registry' | 'postgres'].logFile;
const markerOf = (s: Stack, name: ComponentName): string =>
  name === 'postgres' ? s.postgres.dataDir : `-Dorderflow.component=${name}@${s.stackDir}`;

// ---- state and lock ----

function loadState(s: Settings): State {
  try {
    const state = JSON.parse(readFileSync(s.stateFile, 'utf8')) as State;
    return { ...state, processes: state.processes ?? {} };
  } catch {
    return { processes: {} };
  }
}

function saveState(s: Settings, state: State): void {
  mkdirSync(s.stackDir, { recursive: true });
  writeFileSync(`${s.stateFile}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${s.stateFile}.tmp`, s.stateFile);
}

/** One stack command at a time per stack directory; a lock left by a dead process is taken over. */
async function withLock<T>(s: Settings, work: () => Promise<T>): Promise<T> {
  mkdirSync(s.logsDir, { recursive: true });
  const lock = join(s.stackDir, 'lock');
  const deadline = Date.now() + 15 * 60_000;
  let told = false;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(lock, 'utf8').trim());
      if (!holder || !existsSync(`/proc/${holder}`)) {
        rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new StackError(`another stack command (pid ${holder}) holds ${lock}`);
      if (!told) console.log(`waiting for another stack command (pid ${holder}) to finish`);
      told = true;
      await pause(250);
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { force: true });
  }
}

// ---- one component ----

function probe(s: Stack, name: ComponentName): () => Promise<boolean> {
  if (kindOf(name) === 'kafka') return () => kafkaReady(nodeOf(s, name));
  if (name === 'registry') return () => registryReady(s.registry);
  return () => postgresAnswers(s.postgres);
}

function failure(s: Stack, name: ComponentName, what: string): StackError {
  const logFile = logOf(s, name);
  return new StackError(`${name} ${what}; last lines of ${logFile}:`, tailLog(logFile, 20));
}

async function waitReady(
  s: Stack,
  name: ComponentName,
  tracked?: Tracked,
  timeoutMs?: number,
): Promise<void> {
  try {
    await waitFor(`${name} at ${urlOf(s, name)}`, probe(s, name), {
      timeoutMs: timeoutMs ?? READY_TIMEOUT_MS[kindOf(name)],
      guard: () => {
        const pid = tracked?.pid;
        if (tracked && !isRunning(tracked)) throw failure(s, name, `exited while starting (pid ${pid})`);
      },
    });
  } catch (error) {
    if (error instanceof StackError && !error.detail && tracked) {
      throw failure(s, name, error.message.replace(`${name} at ${urlOf(s, name)} `, 'was '));
    }
    throw error;
  }
}

/** Fails early, before anything starts, on a taken port or a missing Java. */
async function precheck(s: Stack, name: ComponentName): Promise<void> {
  const ports: [number, string, string][] =
    kindOf(name) === 'kafka'
      ? [
          [nodeOf(s, name).port, `Kafka (${name})`, 'KAFKA_PORT'],
          [nodeOf(s, name).controllerPort, `the Kafka controller (${name})`, 'KAFKA_CONTROLLER_PORT'],
        ]
      : name === 'registry'
        ? [[s.registry.port, 'the schema registry', 'REGISTRY_PORT']]
        : [];
  for (const [port, what, variable] of ports) {
    if (!(await portFree(port))) {
      throw new StackError(
        `port ${port} (for ${what}) is taken by another process: stop it, or set ${variable} to a free port`,
      );
    }
  }
  if (kindOf(name) === 'kafka') findJava(KAFKA_MIN_JAVA, `Kafka ${s.kafka.version}`);
  if (name === 'registry') findJava(REGISTRY_MIN_JAVA, `Apicurio Registry ${s.registry.version}`);
}

/** Fetches what is not there yet, after one line saying what, how big, and that it is once. */
async function fetchMissing(s: Settings, names: readonly ComponentName[], log: (line: string) => void) {
  const kafka = names.some((n) => kindOf(n) === 'kafka') && !kafkaFetched(s.kafka);
  const registry = names.includes('registry') && !registryFetched(s.registry);
  const downloads = [
    ...(kafka ? [{ what: `Apache Kafka ${s.kafka.version}`, megabytes: KAFKA_DOWNLOAD_MB }] : []),
    ...(registry
      ? [{ what: `Apicurio Registry ${s.registry.version}`, megabytes: REGISTRY_DOWNLOAD_MB }]
      : []),
  ];
  if (downloads.length === 0) return;
  log(firstFetchLine(downloads, s.stackDir));
  if (kafka) await fetchKafka(s.kafka);
  if (registry) await fetchRegistry(s.registry, s.stackDir);
}

/** Starts one component, records its pid at once, and returns when it is ready. */
async function launch(
  s: Stack,
  state: State,
  name: ComponentName,
  log: (line: string) => void,
): Promise<void> {
  log(`starting ${name} (log: ${logOf(s, name)})`);
  let tracked: Tracked;
  if (kindOf(name) === 'kafka') tracked = startKafka(nodeOf(s, name), markerOf(s, name), clusterIdOf(s));
  else if (name === 'registry') tracked = startRegistry(s.registry, s.postgres, markerOf(s, name));
  else {
    await initEmbedded(s.postgres);
    tracked = await startEmbedded(s.postgres);
  }
  state.processes[name] = { ...tracked, url: urlOf(s, name) };
  saveState(s, state);
  try {
    await waitReady(s, name, tracked);
  } catch (error) {
    await stopProcess(tracked, 'SIGKILL', 5_000).catch(() => undefined);
    delete state.processes[name];
    saveState(s, state);
    throw error;
  }
}

/** The id a node's storage was formatted with, shared by every node; a new one for a new cluster. */
function clusterIdOf(s: Stack): string {
  for (const node of s.nodes) {
    try {
      const meta = readFileSync(join(node.dataDir, 'meta.properties'), 'utf8');
      const id = /^cluster\.id=(.+)$/m.exec(meta)?.[1];
      if (id) return id.trim();
    } catch {
      // not formatted yet
    }
  }
  return (clusterIds[s.stackDir] ??= newClusterId());
}
/** Nodes of one cluster start side by side, before any has written its meta.properties. */
const clusterIds: Record<string, string> = {};

/** Uses the server of DATABASE_URL if one answers; otherwise starts an embedded one there. */
async function upPostgres(s: Stack, state: State, log: (line: string) => void): Promise<void> {
  const tracked = state.processes.postgres;
  if (state.postgres === 'embedded' && isRunning(tracked)) {
    await waitReady(s, 'postgres', tracked);
  } else if (await postgresAnswers(s.postgres)) {
    state.postgres = 'external';
    delete state.processes.postgres;
  } else {
    const { host, port } = s.postgres;
    if (!(await portFree(port, host))) {
      throw new StackError(
        `nothing answers as PostgreSQL at ${redact(s.postgres.url)} and port ${port} on ${host} is taken or not local: ` +
          'free it, or set DATABASE_URL to a server that answers (or to a free local port for an embedded one)',
      );
    }
    log(
      `no PostgreSQL answers at ${redact(s.postgres.url)}: starting an embedded one (data in ${s.postgres.dataDir})`,
    );
    state.postgres = 'embedded';
    await launch(s, state, 'postgres', log);
  }
  saveState(s, state);
  await ensureDatabases(s.postgres, [s.postgres.database, s.registry.database]);
}

async function postgresUp(s: Stack, state: State): Promise<boolean> {
  if (state.postgres === 'embedded') return isRunning(state.processes.postgres);
  return state.postgres === 'external' && (await postgresAnswers(s.postgres).catch(() => false));
}

// ---- the whole stack ----

function report(s: Stack, state: State, log: (line: string) => void): void {
  const pg =
    state.postgres === 'embedded' ? `embedded, pid ${state.processes.postgres?.pid}` : 'external server';
  log(
    `  postgres  ${redact(s.postgres.url)}  (DATABASE_URL; ${pg}; databases ${s.postgres.database}, ${s.registry.database})`,
  );
  for (const node of s.nodes) {
    const controller = s.nodes.length > 1 ? `, controller 127.0.0.1:${node.controllerPort}` : '';
    log(`  ${node.key.padEnd(8)}  ${node.brokers}  (pid ${state.processes[node.key]?.pid}${controller})`);
  }
  if (s.nodes.length > 1)
    log(`  KAFKA_BROKERS=${brokersOf(s.nodes)} (npm start, up, test and the scripts use it)`);
  log(`  registry  ${s.registry.url}  (SCHEMA_REGISTRY_URL; pid ${state.processes.registry?.pid})`);
}

/** The stack's settings with as many Kafka nodes as were chosen (one unless chosen otherwise). */
function stackOf(state: State, brokers?: number): Stack {
  return withNodes(readSettings(), brokers ?? state.brokers ?? 1);
}

/** Every component this stack runs, in start order. */
const componentsOf = (s: Stack): ComponentName[] => [
  'postgres',
  ...s.nodes.map((n) => n.key as ComponentName),
  'registry',
];

/** The names under which Kafka nodes run now (a remembered choice may differ until restarted). */
const runningKafka = (state: State): string[] =>
  Object.keys(state.processes).filter((k) => k.startsWith('kafka') && isRunning(state.processes[k]));

/**
 * Brings up PostgreSQL, Kafka (`brokers` nodes: 1 or 3; by default what was chosen last) and the
 * registry, fetching what is missing, and returns when all are ready. Running it while the stack
 * is up changes nothing.
 */
export async function stackUp(o: Log & { brokers?: number; tracing?: boolean } = {}): Promise<void> {
  const log = o.log ?? console.log;
  if (o.brokers !== undefined && o.brokers !== 1 && o.brokers !== MAX_BROKERS) {
    throw new StackError(`--brokers must be 1 or ${MAX_BROKERS}, got ${o.brokers}`);
  }
  const settings = readSettings();
  const started = Date.now();
  await withLock(settings, async () => {
    const state = loadState(settings);
    const s = stackOf(state, o.brokers);
    const wanted = s.nodes.map((n) => n.key);
    const stray = runningKafka(state).filter((k) => !wanted.includes(k));
    if (stray.length > 0) {
      throw new StackError(
        `Kafka runs as ${runningKafka(state).join(', ')}, not ${s.nodes.length} broker(s): stop the stack first (npm run stack:down) to change the number of brokers`,
      );
    }
    state.brokers = s.nodes.length;
    const todo = componentsOf(s).filter((name) => name !== 'postgres' && !isRunning(state.processes[name]));
    if (todo.length === 0 && (await postgresUp(s, state))) {
      for (const name of componentsOf(s)) await waitReady(s, name, state.processes[name], 15_000);
      saveState(s, state);
      log('stack already up; nothing changed');
      report(s, state, log);
      return;
    }
    for (const name of todo) await precheck(s, name);
    await fetchMissing(s, todo, log);
    await upPostgres(s, state, log);
    // Every node of a cluster at once: none is ready before a quorum of them runs.
    const results = await Promise.allSettled(todo.map((name) => launch(s, state, name, log)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    log(`stack up in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    report(s, state, log);
  });
  // --tracing: Zipkin too (scripts/stack/zipkin.ts), remembered for npm start and npm run up.
  if (o.tracing) {
    await withLock(settings, async () =>
      log(`  zipkin    ${await zipkinUp(settings, log)}  (traces of npm start / npm run up)`),
    );
  }
}

/** KAFKA_BROKERS of the stack: every broker of the number chosen last (`stack:up -- --brokers`). */
export function stackBrokers(): string {
  const settings = readSettings();
  return brokersOf(stackOf(loadState(settings)).nodes);
}

/** Stops exactly the processes the stack started; `wipe` also deletes their data. */
export async function stackDown(o: Log & { wipe?: boolean } = {}): Promise<void> {
  const log = o.log ?? console.log;
  const settings = readSettings();
  await withLock(settings, async () => {
    const state = loadState(settings);
    const s = stackOf(state);
    await zipkinDown(settings, log);
    let stopped = 0;
    const kafka = Object.keys(state.processes).filter((k) => k.startsWith('kafka'));
    for (const name of ['registry', ...kafka, 'postgres'] as ComponentName[]) {
      const tracked = state.processes[name];
      if (isRunning(tracked)) {
        await stopProcess(tracked, STOP_SIGNAL[kindOf(name)], STOP_TIMEOUT_MS[kindOf(name)]);
        log(`stopped ${name} (pid ${tracked.pid})`);
        stopped++;
      }
      delete state.processes[name];
    }
    if (stopped === 0) log('nothing of the stack was running');
    if (o.wipe) {
      for (const dir of new Set([
        s.kafka.dataDir,
        ...kafkaNodes(s.kafka, MAX_BROKERS).map((n) => n.dataDir),
      ])) {
        if (!existsSync(dir)) continue;
        rmSync(dir, { recursive: true, force: true });
        log(`wiped ${dir}`);
      }
      if (existsSync(s.postgres.dataDir)) {
        rmSync(s.postgres.dataDir, { recursive: true, force: true });
        log(`wiped ${s.postgres.dataDir}`);
      }
      if (state.postgres !== 'embedded') {
        const where = redact(s.postgres.url);
        if (await postgresAnswers(s.postgres).catch(() => false)) {
          await dropDatabase(s.postgres, s.registry.database);
          log(`dropped database ${s.registry.database} on the server of ${where}`);
        } else {
          log(`could not reach ${where}: database ${s.registry.database} was not dropped`);
        }
      }
      delete state.postgres;
    }
    saveState(s, state);
  });
}

/** What runs where: PostgreSQL, each Kafka node, the registry. */
export async function stackStatus(): Promise<ComponentStatus[]> {
  const settings = readSettings();
  const state = loadState(settings);
  const s = stackOf(state);
  const zipkin = zipkinStatus(settings);
  const core = await Promise.all(
    componentsOf(s).map(async (name): Promise<ComponentStatus> => {
      const tracked = state.processes[name];
      if (name === 'postgres' && state.postgres !== 'embedded') {
        const answers = await postgresAnswers(s.postgres).catch(() => false);
        return { name, running: answers, url: urlOf(s, name), managed: false };
      }
      const running = isRunning(tracked);
      return {
        name,
        running,
        url: tracked?.url ?? urlOf(s, name),
        pid: running ? tracked?.pid : undefined,
        managed: true,
        logFile: logOf(s, name),
      };
    }),
  );
  return zipkin ? [...core, zipkin] : core;
}

function assertControllable(state: State, name: ComponentName): void {
  if (name === 'postgres' && state.postgres !== 'embedded') {
    throw new StackError(
      'postgres is the server of DATABASE_URL, not one the stack started: it cannot be stopped here',
    );
  }
}

/** Stops a component (for fault-injection tests) and returns once its process is gone;
 * `kafka` stops every node, `kafka-<n>` one node of a cluster. */
export async function stopComponent(name: ComponentName, signal?: NodeJS.Signals): Promise<void> {
  const settings = readSettings();
  await withLock(settings, async () => {
    const state = loadState(settings);
    const s = stackOf(state);
    assertControllable(state, name);
    for (const one of expand(s, name)) {
      const tracked = state.processes[one];
      const kind = kindOf(one);
      if (isRunning(tracked)) await stopProcess(tracked, signal ?? STOP_SIGNAL[kind], STOP_TIMEOUT_MS[kind]);
      delete state.processes[one];
    }
    saveState(s, state);
  });
}

/** Starts a stopped component again and returns once it is ready; `brokers` chooses how many
 * Kafka nodes the stack has (as `stackUp` does) before the first start. */
export async function startComponent(name: ComponentName, o: Log & { brokers?: number } = {}): Promise<void> {
  const log = o.log ?? (() => undefined);
  const settings = readSettings();
  await withLock(settings, async () => {
    const state = loadState(settings);
    const s = stackOf(state, o.brokers);
    state.brokers = s.nodes.length;
    assertControllable(state, name);
    const todo = expand(s, name).filter((one) => !isRunning(state.processes[one]));
    for (const one of expand(s, name)) {
      if (!todo.includes(one)) await waitReady(s, one, state.processes[one]);
    }
    if (name === 'postgres' && todo.length && !(await portFree(s.postgres.port, s.postgres.host))) {
      throw new StackError(`port ${s.postgres.port} (for PostgreSQL) is taken by another process`);
    }
    for (const one of todo) await precheck(s, one);
    await fetchMissing(s, todo, console.log);
    const results = await Promise.allSettled(todo.map((one) => launch(s, state, one, log)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  });
}
