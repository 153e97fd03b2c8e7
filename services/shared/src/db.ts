// PostgreSQL: one pool per service, confined to the service's own schema, and the one
// transaction helper every effect goes through.
import { Pool, type PoolClient, type QueryResult, type QueryResultRow } from 'pg';
import type { Logger } from './logger';
import { applyMigrations } from './schema-migrations';

export type Tx = Pick<PoolClient, 'query'>;

/**
 * Runs `sql` in the round trip that commits `tx`, just before its COMMIT, when `tx` is a
 * transaction of Db.tx; elsewhere at once. The statement takes no parameters (values go in as
 * literals, sql-literals.ts); if it fails, the transaction fails and rolls back as if the
 * statement had run inside the work.
 */
export async function queryAtCommit<R extends QueryResultRow>(
  tx: Tx,
  sql: string,
  /** Given the statement's result once it ran (with the commit, when it went with it). */
  then: (result: QueryResult<R>) => void = () => undefined,
): Promise<void> {
  if (tx instanceof RoundTripSavingTx) tx.atCommit.push({ sql, then: then as AtCommit['then'] });
  else then(await tx.query<R>(sql));
}

interface AtCommit {
  sql: string;
  then: (result: QueryResult) => void;
}

/**
 * A transaction that costs no round trip of its own: BEGIN travels with the first statement
 * when that statement takes no parameters (the simple protocol runs several statements in one
 * message), statements queued by queryAtCommit travel with COMMIT, and a transaction that
 * ran nothing sends nothing.
 */
class RoundTripSavingTx {
  begun = false;
  readonly atCommit: AtCommit[] = [];
  private readonly begin: string[];

  constructor(
    private readonly client: PoolClient,
    durable: boolean,
  ) {
    this.begin = durable ? ['BEGIN'] : ['BEGIN', 'SET LOCAL synchronous_commit = off'];
  }

  readonly query = ((text: unknown, ...rest: unknown[]) => {
    const client = this.client as unknown as { query(...args: unknown[]): Promise<unknown> };
    if (this.begun) return client.query(text, ...rest);
    this.begun = true;
    const [values] = rest;
    if (typeof text !== 'string' || rest.length > 1 || (Array.isArray(values) && values.length > 0)) {
      return client.query(this.begin.join('; ')).then(() => client.query(text, ...rest));
    }
    return client.query([...this.begin, text].join('; ')).then((results) => {
      const own = (results as unknown[]).slice(this.begin.length);
      return own.length === 1 ? own[0] : own;
    });
  }) as Tx['query'];

  async commit(): Promise<void> {
    if (!this.begun && this.atCommit.length === 0) return; // nothing ran: nothing to commit
    const begin = this.begun ? [] : this.begin;
    const statements = [...begin, ...this.atCommit.map((s) => s.sql), 'COMMIT'];
    this.begun = true; // from here a failure leaves a transaction to roll back
    const results = (await this.client.query(statements.join('; '))) as unknown as QueryResult[];
    this.atCommit.forEach((s, i) => s.then(results[begin.length + i]!));
  }
}

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
      const tx = new RoundTripSavingTx(client, durable);
      let result: Awaited<ReturnType<typeof work>>;
      try {
        result = await work(tx);
        await tx.commit();
      } catch (e) {
        // A client whose rollback fails has lost its connection: destroy it, don't pool it.
        const broken = tx.begun
          ? await client.query('ROLLBACK').then(
              () => false,
              () => true,
            )
          : false;
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
