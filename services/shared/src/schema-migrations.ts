// Versioned migrations with node-pg-migrate: one history per service schema, kept in that
// schema's `pgmigrations` table. A service's history is the runtime's migrations (outbox,
// inbox) and the service's own, in the order of their timestamps.
//
// Migrations are .sql files, not modules: node-pg-migrate loads a module with Node's own
// require, which ts-jest never sees (a .ts migration fails under the tests), while a .sql file
// reads the same from src/ under the tests and from dist/ in production (the build copies them).
import { join } from 'node:path';
import { runner } from 'node-pg-migrate';
import type { ClientBase } from 'pg';
import type { Logger } from './logger';

/** The table in each service schema that records which migrations ran, and when. */
export const MIGRATIONS_TABLE = 'pgmigrations';

/** The runtime's own migrations, part of every service's history. */
export const RUNTIME_MIGRATIONS = join(__dirname, 'migrations');

// node-pg-migrate reads its directories as glob patterns once there are several.
const GLOB_MAGIC = /[*?[\]{}()!+@]/;

/**
 * Applies the migrations in `directories` (`<13-digit ms timestamp>_<name>.sql` files) that
 * `schema`'s history lacks, in one transaction, and returns their names ([] when none was due).
 * Instances starting together take turns on a lock per schema; a migration older than one
 * already applied stops the run (it was written against a history this database never had).
 */
export async function applyMigrations(
  client: ClientBase,
  schema: string,
  directories: readonly string[],
  logger: Logger,
): Promise<string[]> {
  const odd = directories.find((dir) => GLOB_MAGIC.test(dir));
  if (odd) throw new Error(`migrations directory ${odd} has a glob character in its path; move it`);
  const lock = `orderflow.migrate.${schema}`;
  // node-pg-migrate's own lock is one try-lock for the whole server: a second service (or test
  // run) migrating its own schema at the same moment would fail instead of waiting.
  await client.query('SELECT pg_advisory_lock(hashtext($1))', [lock]);
  try {
    const applied = await runner({
      dbClient: client,
      schema,
      createSchema: true,
      migrationsTable: MIGRATIONS_TABLE,
      dir: directories.map((dir) => `${dir}/*.sql`),
      useGlob: true,
      checkOrder: true,
      direction: 'up',
      singleTransaction: true,
      noLock: true,
      logger: {
        debug: (message: string) => logger.debug(message),
        info: (message: string) => logger.debug(message), // each statement it runs: too much for info
        warn: (message: string) => logger.warn(message),
        error: (message: string) => logger.error(message),
      },
    });
    return applied.map((migration) => migration.name);
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [lock]);
  }
}
