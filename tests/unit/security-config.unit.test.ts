// The security settings a deployment needs, read from the environment (or NAME_FILE).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadServiceConfig } from '@orderflow/shared';

const dir = mkdtempSync(join(tmpdir(), 'orderflow-tls-'));
const pem = (name: string) => {
  const file = join(dir, name);
  writeFileSync(file, `-----BEGIN ${name}-----\nabc\n-----END ${name}-----\n`);
  return file;
};

test('KAFKA_SSL alone trusts the system CAs; with KAFKA_SSL_CA_FILE, KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE it uses that CA and client certificate', () => {
  expect(loadServiceConfig('x', 1, {}, { KAFKA_SSL: 'true' }).kafka.ssl).toBe(true);
  const config = loadServiceConfig(
    'x',
    1,
    {},
    {
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: pem('CA'),
      KAFKA_SSL_CERT_FILE: pem('CERT'),
      KAFKA_SSL_KEY_FILE: pem('KEY'),
    },
  );
  expect(config.kafka.ssl).toEqual({
    ca: expect.stringContaining('BEGIN CA'),
    cert: expect.stringContaining('BEGIN CERT'),
    key: expect.stringContaining('BEGIN KEY'),
  });
});

test('DATABASE_SSL verifies the server; DATABASE_SSL_CA_FILE names the CA to verify it with', () => {
  expect(loadServiceConfig('x', 1, {}, {}).database.ssl).toBe(false);
  expect(loadServiceConfig('x', 1, {}, { DATABASE_SSL: 'true' }).database.ssl).toBe(true);
  expect(
    loadServiceConfig('x', 1, {}, { DATABASE_SSL: 'true', DATABASE_SSL_CA_FILE: pem('DBCA') }).database.ssl,
  ).toEqual({ ca: expect.stringContaining('BEGIN DBCA') });
});

test('the rate limit is on by default and generous, and 0 turns it off', () => {
  expect(loadServiceConfig('x', 1, {}, {}).http.rateLimit).toEqual({ perSecond: 100, burst: 200 });
  expect(loadServiceConfig('x', 1, {}, { HTTP_RATE_LIMIT_PER_SECOND: '0' }).http.rateLimit?.perSecond).toBe(
    0,
  );
});

test('the test-only handler delay is off by default, and the session timeout is 30 s', () => {
  const config = loadServiceConfig('x', 1, {}, {});
  expect(config.testHandlerDelayMs).toBe(0);
  expect(config.kafka.sessionTimeoutMs).toBe(30_000);
});
