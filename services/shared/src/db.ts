// PostgreSQL: one pool per service, confined to the service's own schema, and the one
// transaction helper every effect goes through.
import { Pool, type PoolClient, type QueryResultRow } from 'pg';
import type { Logger } from './logger';
import { applyMigrations } from './schema-migrations';

export type Tx = Pick<PoolClient, 'query'>;

export interface Db {
  readonly schema: string;
  query<R extends QueryResultRow = QueryResultRow>(
    sql: string,
    params?: unknown[],
  ): Promise<{ rows: R[]; rowCount: number | null }>;
  /** Runs `work` in one transaction; commits when it returns, rolls back when it throws. */
  tx<T>(work: (tx: Tx) => Promise<T>, options?: TxOptions): Promise<T>;
  /**
   * Creates the schema and applies the migrations in `directories` its history lacks, one
   * instance at a time (schema-migrations.ts); returns the names of those applied.
   */
  migrate(directories: readonly string[]): Promise<string[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface TxOptions {
  /**
   * false: the commit returns without waiting for the disk (synchronous_commit off). Only for
   * work whose loss on a crash is harmless, such as deleting outbox rows already published.
   */
  durable?: boolean;
}

export interface DbOptions {
  url: string;
  /** true: TLS verified against the system's CAs; `{ ca }`: against that CA (PEM). */
  ssl?: boolean | { ca: string };
  /** The service's schema; every unqualified table name resolves in it. */
  schema: string;
  max?: number;
  logger: Logger;
}

export function schemaName(service: string, prefix = ''): string {
  const name = `${prefix}${service}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  return /^[a-z_]/.test(name) ? name : `s_${name}`;
}

export async function createDb({ url, ssl, schema, max = 10, logger }: DbOptions): Promise<Db> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
  const pool = new Pool({
    connectionString: url,
    ssl: ssl ? { rejectUnauthorized: true, ...(typeof ssl === 'object' ? ssl : {}) } : undefined,
    max,
    connectionTimeoutMillis: 5_000,
    options: `-c search_path=${schema}`,
    application_name: schema,
  });
  // An idle client losing its server (a PostgreSQL restart) must not crash the process.
  pool.on('error', (err) => logger.warn({ err: err.message }, 'idle database connection lost'));

  const db: Db = {
    schema,
    query: (sql, params) => pool.query(sql, params),
    async tx(work, { durable = true } = {}) {
      const client = await pool.connect();
      // A connection dying while checked out (say, while the outbox relay waits for Kafka) is an
      // 'error' event on the client: unheard, it would crash the process. Heard, the next query
      // fails, the transaction rolls back and the broken client is destroyed.
      const onLost = (err: Error) =>
        logger.warn({ err: err.message }, 'database connection lost in a transaction');
      client.on('error', onLost);
      let result: Awaited<ReturnType<typeof work>>;
      try {
        await client.query(durable ? 'BEGIN' : 'BEGIN; SET LOCAL synchronous_commit = off'); // one round trip
        result = await work(client);
        await client.query('COMMIT');
      } catch (e) {
        // A client whose rollback fails has lost its connection: destroy it, don't pool it.
        const broken = await client.query('ROLLBACK').then(
          () => false,
          () => true,
        );
        if (!broken) client.off('error', onLost);
        client.release(broken);
        throw e;
      }
      client.off('error', onLost);
      client.release();
      return result;
    },
    async migrate(directories) {
      const client = await pool.connect();
      const onLost = (err: Error) =>
        logger.warn({ err: err.message }, 'database connection lost while migrating');
      client.on('error', onLost);
      try {
        const applied = await applyMigrations(client, schema, directories, logger);
        client.off('error', onLost);
        client.release();
        return applied;
      } catch (e) {
        // It may still hold the migration lock (or have lost its connection): never pool it again.
        client.release(true);
        throw e;
      }
    },
    async ping() {
      await pool.query('SELECT 1');
    },
    async close() {
      await pool.end();
    },
  };
  return db;
}
