// Upgrading a database that predates versioned migrations: each service schema is built with the
// SQL the runtime ran before (fixtures/pre-migration-schema.ts), given rows in every table, then
// migrated as a service's startup migrates it. Nothing is lost, the history is recorded, and a
// second run changes nothing.
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import {
  MIGRATIONS_TABLE,
  SERVICE_NAMES,
  createDb,
  createLogger,
  migrationsOf,
  schemaName,
  type Db,
  type ServiceName,
} from '@orderflow/shared';
import { seedCatalog } from '../../services/inventory/src/service';
import { preMigrationSchema } from './fixtures/pre-migration-schema';
import { stackEnv } from '../support/platform';

const prefix = `t${randomBytes(4).toString('hex')}_premig_`;
const logger = createLogger({
  service: 'test',
  destination: new Writable({ write: (_c, _e, done) => done() }),
});
const dbs = new Map<ServiceName, Db>();

/** One row in every table of the pre-migration schemas, as a running platform leaves them. */
const ROWS: Record<ServiceName, string[]> = {
  orders: [
    `INSERT INTO orders (order_id, customer_id, email, items, total_cents, currency, fingerprint, status)
     VALUES ('o-1', 'c-1', 'c1@example.com', '[{"itemId":"ceramic-mug","quantity":2,"unitPriceCents":1450}]', 2900, 'EUR', 'f-1', 'SHIPPED')`,
    `INSERT INTO order_events (order_id, event_id, event_type, payload, occurred_at)
     VALUES ('o-1', gen_random_uuid(), 'OrderCreated', '{"orderId":"o-1"}', now())`,
  ],
  billing: [
    `INSERT INTO payments (order_id, payment_id, customer_id, email, amount_cents, currency, status, decline_reason)
     VALUES ('o-1', gen_random_uuid(), 'c-1', null, 2900, 'EUR', 'DECLINED', 'over the limit')`,
  ],
  // Stock already seeded; an order has consumed some, which no later start may reset.
  inventory: [
    `UPDATE stock SET available = available - 2, reserved = reserved + 2 WHERE item_id = 'limited-print'`,
    `INSERT INTO reservations (order_id, reservation_id, outcome, lines)
     VALUES ('o-1', gen_random_uuid(), 'RESERVED', '[{"itemId":"limited-print","quantity":2}]')`,
  ],
  shipping: [
    `INSERT INTO shipments (order_id, shipment_id, carrier, scheduled_for, items, customer_id)
     VALUES ('o-1', gen_random_uuid(), 'DHL', now(), '[]', 'c-1')`,
  ],
  notifications: [
    `INSERT INTO notifications (notification_id, source_event_id, order_id, kind, recipient, subject, body, customer_id)
     VALUES (gen_random_uuid(), gen_random_uuid(), 'o-1', 'PAYMENT_CAPTURED', 'c1@example.com', 'Paid', 'Thanks', 'c-1')`,
  ],
};

/** Rows every service schema holds: an unpublished outbox row and a handled event. */
const RUNTIME_ROWS = [
  `INSERT INTO outbox (topic, key, value, headers, event_type, event_id)
   VALUES ('orders.events', 'o-1', '\\x00000001', '{"x-event-type":"OrderCreated"}', 'OrderCreated', gen_random_uuid())`,
  `INSERT INTO inbox (event_id, event_type, topic, partition, "offset")
   VALUES (gen_random_uuid(), 'OrderCreated', 'orders.events', 0, 41)`,
];

const migrationsOfService = (service: ServiceName) =>
  migrationsOf({ migrations: resolve(__dirname, '..', '..', 'services', service, 'src', 'migrations') });

/** The names of every migration in a service's history, in the order they apply. */
const namesOf = (directories: string[]) =>
  directories
    .flatMap((dir) => readdirSync(dir).filter((file) => file.endsWith('.sql')))
    .map((file) => file.replace(/\.sql$/, ''))
    .sort();

/** Every row of every table in the schema but the history, as JSON, in a stable order. */
async function contents(db: Db): Promise<Record<string, Record<string, unknown>[]>> {
  const { rows: tables } = await db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name <> $2 ORDER BY 1`,
    [db.schema, MIGRATIONS_TABLE],
  );
  const all: Record<string, Record<string, unknown>[]> = {};
  for (const { table_name: table } of tables) {
    const { rows } = await db.query<{ row: Record<string, unknown> }>(
      `SELECT to_jsonb(t) AS row FROM ${table} t ORDER BY to_jsonb(t)::text`,
    );
    all[table] = rows.map((r) => r.row);
  }
  return all;
}

async function history(db: Db): Promise<{ name: string; run_on: Date }[]> {
  const { rows } = await db.query<{ name: string; run_on: Date }>(
    `SELECT name, run_on FROM ${MIGRATIONS_TABLE} ORDER BY id`,
  );
  return rows;
}

beforeAll(async () => {
  for (const service of SERVICE_NAMES) {
    const db = await createDb({
      url: stackEnv.DATABASE_URL,
      schema: schemaName(service, prefix),
      logger,
      max: 2,
    });
    dbs.set(service, db);
    await db.query(`CREATE SCHEMA ${db.schema}`);
    for (const statement of [...preMigrationSchema(service), ...RUNTIME_ROWS, ...ROWS[service]])
      await db.query(statement);
  }
});

afterAll(async () => {
  for (const db of dbs.values()) {
    await db.query(`DROP SCHEMA IF EXISTS ${db.schema} CASCADE`).catch(() => undefined);
    await db.close();
  }
});

describe.each(SERVICE_NAMES)('%s', (service) => {
  test('migrating a schema built before migrations keeps every row, records the history, and a second run changes nothing', async () => {
    const db = dbs.get(service)!;
    const before = await contents(db);
    expect(Object.values(before).flat().length).toBeGreaterThan(2);

    const applied = await db.migrate(migrationsOfService(service));
    if (service === 'inventory') await seedCatalog(db); // the start's step after the migrations

    expect(applied).toEqual(namesOf(migrationsOfService(service)));
    expect(applied.length).toBeGreaterThanOrEqual(2);
    // Columns a later migration adds are not the old rows' business: compare the old columns.
    const after = await contents(db);
    expect(Object.keys(after)).toEqual(Object.keys(before));
    for (const [table, rows] of Object.entries(before)) {
      const kept = after[table]!.map((row) => pick(row, Object.keys(rows[0] ?? {})));
      expect([table, kept]).toEqual([table, rows]);
    }
    const recorded = await history(db);
    expect(recorded.map((m) => m.name)).toEqual(applied);

    expect(await db.migrate(migrationsOfService(service))).toEqual([]);
    expect(await history(db)).toEqual(recorded);
    expect(await contents(db)).toEqual(after);
  });
});

function pick(row: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((key) => [key, row[key]]));
}

test('two instances starting together on an empty schema migrate it once: one applies the history, the other waits and finds nothing to do', async () => {
  const schema = schemaName('billing', `${prefix}race_`);
  const [a, b] = await Promise.all(
    [1, 2].map(() => createDb({ url: stackEnv.DATABASE_URL, schema, logger, max: 1 })),
  );
  try {
    const results = await Promise.all([a!, b!].map((db) => db.migrate(migrationsOfService('billing'))));
    expect(results.map((names) => names.length).sort()).toEqual([
      0,
      namesOf(migrationsOfService('billing')).length,
    ]);
    expect((await history(a!)).map((m) => m.name)).toEqual(namesOf(migrationsOfService('billing')));
  } finally {
    await a!.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await Promise.all([a!.close(), b!.close()]);
  }
});
