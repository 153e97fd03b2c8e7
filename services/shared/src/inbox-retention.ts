// Inbox retention: the inbox keeps the ids of handled events so a redelivery changes nothing, but
// only as long as Kafka could redeliver them. Rows older than INBOX_RETENTION_HOURS (by default
// the topics' retention plus a day) are deleted in the background, a small batch per
// transaction so no delete holds locks for long, and a gauge shows how many rows the inbox holds.
import { Gauge } from 'prom-client';
import type { Db } from './db';
import type { Logger } from './logger';
import type { Metrics } from './metrics';

/** Rows deleted per statement: small enough that a delete never blocks handling for long. */
const BATCH = 1_000;

export interface InboxRetentionOptions {
  db: Db;
  logger: Logger;
  metrics: Metrics;
  retentionHours: number;
  /** How often to look for old rows. */
  pruneIntervalMs: number;
}

export class InboxRetention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly size: Gauge;

  constructor(private readonly o: InboxRetentionOptions) {
    this.size = new Gauge({
      name: 'orderflow_inbox_rows',
      help: 'Rows in the inbox (ids of handled events kept for deduplication), counted after each prune',
      registers: [o.metrics.registry],
    });
  }

  start(): void {
    const tick = () => {
      this.running = this.pruneOnce()
        .then(() => undefined)
        .catch((err: unknown) =>
          this.o.logger.warn({ err: (err as Error).message }, 'inbox retention failed; will retry'),
        )
        .finally(() => {
          if (this.timer) this.timer = setTimeout(tick, this.o.pruneIntervalMs).unref();
        });
    };
    this.timer = setTimeout(tick, this.o.pruneIntervalMs).unref();
  }

  /** Deletes every row older than the retention, batch by batch; returns how many went. */
  async pruneOnce(): Promise<number> {
    let deleted = 0;
    for (;;) {
      const { rowCount } = await this.o.db.query(
        `DELETE FROM inbox WHERE event_id IN (
           SELECT event_id FROM inbox WHERE handled_at < now() - make_interval(secs => $1) LIMIT ${BATCH})`,
        [this.o.retentionHours * 3600],
      );
      deleted += rowCount ?? 0;
      if ((rowCount ?? 0) < BATCH) break;
    }
    if (deleted > 0) this.o.logger.info({ deleted, retentionHours: this.o.retentionHours }, 'inbox pruned');
    const { rows } = await this.o.db.query<{ n: number }>('SELECT count(*)::int AS n FROM inbox');
    this.size.set(rows[0]?.n ?? 0);
    return deleted;
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
