// Zipkin for `stack:up -- --tracing`: io.zipkin:zipkin-server:<version>:jar:exec fetched once
// from Maven Central, run on Java 17+ with in-memory storage on 127.0.0.1:9411 (ZIPKIN_PORT).
// Its pid and URL live in .stack/zipkin.json, apart from the core stack's state: stack:down and
// stack:status include it, and `npm start` / `npm run up` send the services' spans to it.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { localRepositoryDir, runMaven } from './fetch';
import { findJava, requireMaven } from './java';
import {
  isRunning,
  portFree,
  spawnDetached,
  StackError,
  stopProcess,
  tailLog,
  waitFor,
  type Tracked,
} from './process';
import { readSettings, ROOT, type Settings } from './settings';

export const ZIPKIN_VERSION = '3.5.1';
/**
 * In-memory storage keeps the newest spans up to a count, which must fit the heap. With Zipkin's
 * default (500,000) in 256 MB, a traced `npm run bench -- --tracing` ran it out of memory within
 * minutes, and it kept a core busy into the phases after. Our spans take ~3 KB each there: 150,000
 * filled ~480 MB of a 512 MB heap through a whole traced run; 100,000 leaves room for bursts.
 */
const ZIPKIN_HEAP_MB = 512;
const ZIPKIN_MAX_SPANS = 100_000;

/** zipkin-server-3.5.1-exec.jar on Maven Central. */
export const ZIPKIN_DOWNLOAD_MB = 131;
const ZIPKIN_MIN_JAVA = 17;
const POM = join(ROOT, 'scripts', 'stack', 'pom.xml');

export interface ZipkinSettings {
  version: string;
  port: number;
  /** Cached in the stack directory: fetched once. */
  jar: string;
  logFile: string;
  stateFile: string;
  /** The UI and /api/v2; spans are posted to `${url}/api/v2/spans`. */
  url: string;
}

export function zipkinSettings(s: Settings, env: NodeJS.ProcessEnv = process.env): ZipkinSettings {
  const raw = env.ZIPKIN_PORT;
  const port = raw ? Number(raw) : 9411;
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    throw new StackError(`ZIPKIN_PORT=${raw} is not a port`);
  return {
    version: ZIPKIN_VERSION,
    port,
    jar: join(s.stackDir, `zipkin-server-${ZIPKIN_VERSION}-exec.jar`),
    logFile: join(s.logsDir, 'zipkin.log'),
    stateFile: join(s.stackDir, 'zipkin.json'),
    url: `http://127.0.0.1:${port}`,
  };
}

type ZipkinState = Tracked & { url: string };

function loadState(z: ZipkinSettings): ZipkinState | undefined {
  try {
    return JSON.parse(readFileSync(z.stateFile, 'utf8')) as ZipkinState;
  } catch {
    return undefined;
  }
}

/** Zipkin's URL when the stack started one and it still runs; what the services export to. */
export function runningZipkin(s: Settings): string | undefined {
  const state = loadState(zipkinSettings(s));
  return isRunning(state) ? state.url : undefined;
}

export async function zipkinReady(url: string): Promise<boolean> {
  const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(3_000) }).catch(
    () => undefined,
  );
  if (!response) return false;
  const body = (await response.json().catch(() => ({}))) as { status?: string };
  return response.status === 200 && body.status === 'UP';
}

async function fetchZipkin(z: ZipkinSettings, s: Settings, log: (line: string) => void): Promise<void> {
  requireMaven();
  log(
    `first start with --tracing: downloading Zipkin ${z.version} (~${ZIPKIN_DOWNLOAD_MB} MB) from Maven Central into ${s.stackDir} and ~/.m2; this happens once`,
  );
  const downloads = join(s.stackDir, 'downloads');
  const name = `zipkin-server-${z.version}-exec.jar`;
  await runMaven({
    args: [
      '-f',
      POM,
      'dependency:copy',
      `-Dartifact=io.zipkin:zipkin-server:${z.version}:jar:exec`,
      `-DoutputDirectory=${downloads}`,
    ],
    what: `fetching Zipkin ${z.version}`,
    progress: {
      dir: localRepositoryDir('io.zipkin', 'zipkin-server', z.version),
      name,
      megabytes: ZIPKIN_DOWNLOAD_MB,
      label: `Zipkin ${z.version}`,
    },
    print: log,
  });
  renameSync(join(downloads, name), z.jar);
}

/** Starts Zipkin unless it runs; fetches it first when missing. Returns its URL. */
export async function zipkinUp(s: Settings, log: (line: string) => void): Promise<string> {
  const z = zipkinSettings(s);
  const state = loadState(z);
  if (isRunning(state)) {
    await waitFor(`zipkin at ${state.url}`, () => zipkinReady(state.url), { timeoutMs: 60_000 });
    return state.url;
  }
  if (!(await portFree(z.port))) {
    throw new StackError(
      `port ${z.port} (for Zipkin) is taken by another process: stop it, or set ZIPKIN_PORT to a free port`,
    );
  }
  const java = findJava(ZIPKIN_MIN_JAVA, `Zipkin ${z.version}`);
  if (!existsSync(z.jar)) await fetchZipkin(z, s, log);
  log(`starting zipkin (log: ${z.logFile})`);
  mkdirSync(s.logsDir, { recursive: true });
  const marker = `-Dorderflow.component=zipkin@${s.stackDir}`;
  const tracked = spawnDetached({
    command: java.bin,
    args: [
      '-Xms64m',
      `-Xmx${ZIPKIN_HEAP_MB}m`,
      marker,
      '-jar',
      z.jar,
      // Only this machine reaches it, like the rest of the stack.
      '--armeria.ports[0].ip=127.0.0.1',
      `--armeria.ports[0].port=${z.port}`,
    ],
    env: {
      ...process.env,
      STORAGE_TYPE: 'mem',
      MEM_MAX_SPANS: String(ZIPKIN_MAX_SPANS),
      QUERY_PORT: String(z.port),
    },
    logFile: z.logFile,
    marker,
  });
  writeFileSync(z.stateFile, `${JSON.stringify({ ...tracked, url: z.url }, null, 2)}\n`);
  try {
    await waitFor(`zipkin at ${z.url}`, () => zipkinReady(z.url), {
      timeoutMs: 120_000,
      guard: () => {
        if (!isRunning(tracked))
          throw new StackError(
            `zipkin exited while starting; last lines of ${z.logFile}:`,
            tailLog(z.logFile, 20),
          );
      },
    });
  } catch (error) {
    await stopProcess(tracked, 'SIGKILL', 5_000).catch(() => undefined);
    rmSync(z.stateFile, { force: true });
    throw error;
  }
  return z.url;
}

export async function zipkinDown(s: Settings, log: (line: string) => void): Promise<void> {
  const z = zipkinSettings(s);
  const state = loadState(z);
  if (isRunning(state)) {
    await stopProcess(state, 'SIGTERM', 20_000);
    log(`stopped zipkin (pid ${state.pid})`);
  }
  rmSync(z.stateFile, { force: true });
}

/** Zipkin's line in stack:status, when the stack has started one. */
export function zipkinStatus(s: Settings) {
  const z = zipkinSettings(s);
  const state = loadState(z);
  if (!state) return undefined;
  const running = isRunning(state);
  return {
    name: 'zipkin' as const,
    running,
    url: state.url,
    pid: running ? state.pid : undefined,
    managed: true,
    logFile: z.logFile,
  };
}

/**
 * What `npm start` / `npm run up` add to the services' environment: export to the stack's
 * Zipkin when it runs, unless the caller chose an exporter of their own.
 */
export function zipkinExportEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  if (env.OTEL_TRACES_EXPORTER) return {};
  const url = runningZipkin(readSettings(env));
  return url ? { OTEL_TRACES_EXPORTER: 'zipkin', OTEL_EXPORTER_ZIPKIN_ENDPOINT: `${url}/api/v2/spans` } : {};
}
