// The local stack without Docker: Kafka (KRaft), Apicurio Registry (Confluent-compatible API)
// and PostgreSQL, fetched into .stack/ and run as detached processes whose pids live in
// .stack/pids.json. The API below is what `npm run stack:*` and tests use.
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
import { firstFetchLine } from './fetch';
import { fetchKafka, KAFKA_DOWNLOAD_MB, kafkaFetched, kafkaReady, KAFKA_MIN_JAVA, startKafka } from './kafka';
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

export { StackError } from './process';

export type ComponentName = 'kafka' | 'registry' | 'postgres';
const COMPONENTS: readonly ComponentName[] = ['postgres', 'kafka', 'registry'];

interface Running extends Tracked {
  url: string;
}

interface State {
  /** Whether PostgreSQL is the server of DATABASE_URL or one we started. */
  postgres?: 'external' | 'embedded';
  processes: Partial<Record<ComponentName, Running>>;
}

export interface ComponentStatus {
  name: ComponentName;
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

const READY_TIMEOUT_MS: Record<ComponentName, number> = {
  postgres: 60_000,
  kafka: 120_000,
  registry: 180_000,
};
const STOP_TIMEOUT_MS: Record<ComponentName, number> = { postgres: 30_000, kafka: 30_000, registry: 20_000 };
/** PostgreSQL's SIGTERM waits for every client to leave; SIGINT is its fast, clean shutdown. */
const STOP_SIGNAL: Record<ComponentName, NodeJS.Signals> = {
  postgres: 'SIGINT',
  kafka: 'SIGTERM',
  registry: 'SIGTERM',
};

const urlOf = (s: Settings, name: ComponentName): string =>
  name === 'kafka' ? s.kafka.brokers : name === 'registry' ? s.registry.url : redact(s.postgres.url);
const logOf = (s: Settings, name: ComponentName): string => s[name].logFile;
const markerOf = (s: Settings, name: ComponentName): string =>
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

function probe(s: Settings, name: ComponentName): () => Promise<boolean> {
  if (name === 'kafka') return () => kafkaReady(s.kafka);
  if (name === 'registry') return () => registryReady(s.registry);
  return () => postgresAnswers(s.postgres);
}

function failure(s: Settings, name: ComponentName, what: string): StackError {
  const logFile = logOf(s, name);
  return new StackError(`${name} ${what}; last lines of ${logFile}:`, tailLog(logFile, 20));
}

async function waitReady(
  s: Settings,
  name: ComponentName,
  tracked?: Tracked,
  timeoutMs?: number,
): Promise<void> {
  try {
    await waitFor(`${name} at ${urlOf(s, name)}`, probe(s, name), {
      timeoutMs: timeoutMs ?? READY_TIMEOUT_MS[name],
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
async function precheck(s: Settings, name: ComponentName): Promise<void> {
  const ports: [number, string, string][] =
    name === 'kafka'
      ? [
          [s.kafka.port, 'Kafka', 'KAFKA_PORT'],
          [s.kafka.controllerPort, 'the Kafka controller', 'KAFKA_CONTROLLER_PORT'],
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
  if (name === 'kafka') findJava(KAFKA_MIN_JAVA, `Kafka ${s.kafka.version}`);
  if (name === 'registry') findJava(REGISTRY_MIN_JAVA, `Apicurio Registry ${s.registry.version}`);
}

/** Fetches what is not there yet, after one line saying what, how big, and that it is once. */
async function fetchMissing(s: Settings, names: readonly ComponentName[], log: (line: string) => void) {
  const kafka = names.includes('kafka') && !kafkaFetched(s.kafka);
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
  s: Settings,
  state: State,
  name: ComponentName,
  log: (line: string) => void,
): Promise<void> {
  log(`starting ${name} (log: ${logOf(s, name)})`);
  let tracked: Tracked;
  if (name === 'kafka') tracked = startKafka(s.kafka, markerOf(s, name));
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

/** Uses the server of DATABASE_URL if one answers; otherwise starts an embedded one there. */
async function upPostgres(s: Settings, state: State, log: (line: string) => void): Promise<void> {
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

async function postgresUp(s: Settings, state: State): Promise<boolean> {
  if (state.postgres === 'embedded') return isRunning(state.processes.postgres);
  return state.postgres === 'external' && (await postgresAnswers(s.postgres).catch(() => false));
}

// ---- the whole stack ----

function report(s: Settings, state: State, log: (line: string) => void): void {
  const pg =
    state.postgres === 'embedded' ? `embedded, pid ${state.processes.postgres?.pid}` : 'external server';
  log(
    `  postgres  ${redact(s.postgres.url)}  (DATABASE_URL; ${pg}; databases ${s.postgres.database}, ${s.registry.database})`,
  );
  log(`  kafka     ${s.kafka.brokers}  (KAFKA_BROKERS; pid ${state.processes.kafka?.pid})`);
  log(`  registry  ${s.registry.url}  (SCHEMA_REGISTRY_URL; pid ${state.processes.registry?.pid})`);
}

/**
 * Brings up PostgreSQL, Kafka and the registry, fetching what is missing, and returns when all
 * three are ready. Running it while the stack is up changes nothing.
 */
export async function stackUp(o: Log = {}): Promise<void> {
  const log = o.log ?? console.log;
  const s = readSettings();
  const started = Date.now();
  await withLock(s, async () => {
    const state = loadState(s);
    const todo = (['kafka', 'registry'] as const).filter((name) => !isRunning(state.processes[name]));
    if (todo.length === 0 && (await postgresUp(s, state))) {
      for (const name of COMPONENTS) await waitReady(s, name, state.processes[name], 15_000);
      log('stack already up; nothing changed');
      report(s, state, log);
      return;
    }
    for (const name of todo) await precheck(s, name);
    await fetchMissing(s, todo, log);
    await upPostgres(s, state, log);
    const results = await Promise.allSettled(todo.map((name) => launch(s, state, name, log)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    log(`stack up in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    report(s, state, log);
  });
}

/** Stops exactly the processes the stack started; `wipe` also deletes their data. */
export async function stackDown(o: Log & { wipe?: boolean } = {}): Promise<void> {
  const log = o.log ?? console.log;
  const s = readSettings();
  await withLock(s, async () => {
    const state = loadState(s);
    let stopped = 0;
    for (const name of ['registry', 'kafka', 'postgres'] as const) {
      const tracked = state.processes[name];
      if (isRunning(tracked)) {
        await stopProcess(tracked, STOP_SIGNAL[name], STOP_TIMEOUT_MS[name]);
        log(`stopped ${name} (pid ${tracked.pid})`);
        stopped++;
      }
      delete state.processes[name];
    }
    if (stopped === 0) log('nothing of the stack was running');
    if (o.wipe) {
      rmSync(s.kafka.dataDir, { recursive: true, force: true });
      log(`wiped ${s.kafka.dataDir}`);
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

/** What runs where. */
export async function stackStatus(): Promise<ComponentStatus[]> {
  const s = readSettings();
  const state = loadState(s);
  return Promise.all(
    COMPONENTS.map(async (name): Promise<ComponentStatus> => {
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
}

function assertControllable(state: State, name: ComponentName): void {
  if (name === 'postgres' && state.postgres !== 'embedded') {
    throw new StackError(
      'postgres is the server of DATABASE_URL, not one the stack started: it cannot be stopped here',
    );
  }
}

/** Stops one component (for fault-injection tests) and returns once its process is gone. */
export async function stopComponent(name: ComponentName, signal?: NodeJS.Signals): Promise<void> {
  const s = readSettings();
  await withLock(s, async () => {
    const state = loadState(s);
    assertControllable(state, name);
    const tracked = state.processes[name];
    if (isRunning(tracked)) await stopProcess(tracked, signal ?? STOP_SIGNAL[name], STOP_TIMEOUT_MS[name]);
    delete state.processes[name];
    saveState(s, state);
  });
}

/** Starts one stopped component again and returns once it is ready. */
export async function startComponent(name: ComponentName, o: Log = {}): Promise<void> {
  const log = o.log ?? (() => undefined);
  const s = readSettings();
  await withLock(s, async () => {
    const state = loadState(s);
    assertControllable(state, name);
    const tracked = state.processes[name];
    if (isRunning(tracked)) return waitReady(s, name, tracked);
    if (name === 'postgres' && !(await portFree(s.postgres.port, s.postgres.host))) {
      throw new StackError(`port ${s.postgres.port} (for PostgreSQL) is taken by another process`);
    }
    await precheck(s, name);
    await fetchMissing(s, [name], console.log);
    await launch(s, state, name, log);
  });
}
