// A service started with a bad environment stops at once: exit code 1, one message on stderr
// naming every bad variable, no stack trace, no secret. Each service's real main.ts runs as a
// child process; nothing is reached, so no infrastructure is needed.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { SERVICE_NAMES, serviceCommand, type ServiceName } from '@orderflow/shared';

const ROOT = join(__dirname, '..', '..');
// Each test starts a real service process (two seconds on a quiet machine, three times that on a
// loaded one): the deadline is there to catch a hang, not to measure speed.
jest.setTimeout(60_000);

async function runMain(
  service: ServiceName,
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, serviceCommand(service), {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { code, stdout, stderr };
}

const BAD_EVERYWHERE: Record<string, string> = {
  KAFKA_BROKERS: 'nohostport',
  KAFKA_SSL: 'maybe',
  KAFKA_SASL_MECHANISM: 'kerberos',
  KAFKA_SSL_CA_FILE: '/nonexistent/ca.pem',
  KAFKA_SESSION_TIMEOUT_MS: '5',
  KAFKA_FETCH_LINGER_MS: 'later',
  SCHEMA_REGISTRY_URL: 'ftp://registry',
  DATABASE_URL: 'mysql://app:hunter2@db/x',
  DATABASE_SSL: 'sometimes',
  TOPIC_PREFIX: 'bad prefix!',
  HOST: 'not a host!',
  PORT: '70000',
  LOG_LEVEL: 'loud',
  HTTP_RATE_LIMIT_PER_SECOND: '-1',
  HTTP_RATE_LIMIT_BURST: '0',
  ORDERFLOW_TEST_HANDLER_DELAY_MS: 'soon',
  AUTH_MODE: 'sometimes',
  AUTH_JWKS_URL: 'ftp://idp/keys',
  AUTH_CLOCK_SKEW_SECONDS: 'lots',
  ADMIN_PORT: '-1',
};
const OWN_BAD: Partial<Record<ServiceName, Record<string, string>>> = {
  billing: { PAYMENT_LIMIT_CENTS: '-1' },
  notifications: { SMTP_URL: 'http://mail' },
};

function expectCleanFailure(
  result: { code: number | null; stdout: string; stderr: string },
  names: string[],
): void {
  expect(result.code).toBe(1);
  for (const name of names) expect(result.stderr).toMatch(new RegExp(`^  - ${name} `, 'm'));
  expect(result.stderr).not.toMatch(/^\s+at /m); // no stack trace
  expect(result.stderr).not.toContain('hunter2');
  expect(result.stdout).toBe('');
}

test.each(SERVICE_NAMES)(
  '%s refuses to start with every variable bad, naming each one, and exits 1 without a stack trace',
  async (service) => {
    const env = { ...BAD_EVERYWHERE, ...OWN_BAD[service] };
    const result = await runMain(service, env);
    expectCleanFailure(result, [...Object.keys(env).map((n) => n.replace(/_FILE$/, ''))]);
    expect(result.stderr).toMatch(/^Invalid configuration:/);
  },
);

test('settings that only make sense together are named when one is missing', async () => {
  const result = await runMain('billing', {
    KAFKA_SASL_MECHANISM: 'scram-sha-256',
    SCHEMA_REGISTRY_USERNAME: 'svc',
    KAFKA_SSL: 'true',
    KAFKA_SSL_CERT: '-----BEGIN CERTIFICATE-----',
    DATABASE_SSL_CA: '-----BEGIN CERTIFICATE-----',
  });
  expectCleanFailure(result, [
    'KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD',
    'SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD',
    'KAFKA_SSL_CERT and KAFKA_SSL_KEY',
    'DATABASE_SSL_CA',
  ]);
});

test('with auth on (the default) and no identity provider set, a service names each missing setting', async () => {
  const result = await runMain('orders', {});
  expectCleanFailure(result, ['AUTH_JWKS_URL', 'AUTH_ISSUER', 'AUTH_AUDIENCE']);
});

test('a valid configuration whose database cannot be reached stops with one line naming the dependency, not a stack trace', async () => {
  const result = await runMain('shipping', {
    DATABASE_URL: 'postgres://app:hunter2@127.0.0.1:9/orderflow',
    PORT: '0',
    AUTH_JWKS_URL: 'http://127.0.0.1:9/jwks.json',
    AUTH_ISSUER: 'http://127.0.0.1:9',
    AUTH_AUDIENCE: 'orderflow',
  });
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/^cannot start: database migrations: .*ECONNREFUSED/m);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stderr).not.toContain('hunter2');
});
