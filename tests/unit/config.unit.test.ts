import { loadServiceConfig, env, redactUrl } from '@orderflow/shared';
import { readConfig as billingConfig } from '../../services/billing/src/service';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { IDP_SETTINGS as AUTH, problemsOf } from '../support/config-fixtures';

test('with nothing set but the identity provider, a service finds the local stack at its defaults', () => {
  const config = billingConfig(AUTH);
  expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
  expect(config.registry.url).toBe('http://127.0.0.1:8081/apis/ccompat/v7');
  expect(config.http.port).toBe(3001);
  expect(config.own.PAYMENT_LIMIT_CENTS).toBe(100_000);
});

test('one error lists every bad value at once, each by name', () => {
  const problems = problemsOf(() =>
    billingConfig({
      ...AUTH,
      KAFKA_BROKERS: 'nohostport',
      PORT: '70000',
      DATABASE_URL: 'mysql://x',
      LOG_LEVEL: 'loud',
      PAYMENT_LIMIT_CENTS: '-1',
    }),
  );
  expect(problems.map((p) => p.split(' ')[0])).toEqual([
    'KAFKA_BROKERS',
    'DATABASE_URL',
    'LOG_LEVEL',
    'PORT',
    'PAYMENT_LIMIT_CENTS',
  ]);
});

test('SASL without credentials is refused, naming what is missing', () => {
  expect(problemsOf(() => billingConfig({ ...AUTH, KAFKA_SASL_MECHANISM: 'scram-sha-512' }))).toEqual([
    'KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD are required when KAFKA_SASL_MECHANISM is set',
  ]);
});

test('a secret can come from a file named by NAME_FILE', () => {
  const dir = mkdtempSync(join(tmpdir(), 'orderflow-'));
  writeFileSync(join(dir, 'pw'), 's3cret\n');
  const config = loadServiceConfig(
    'x',
    1,
    {},
    { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD_FILE: join(dir, 'pw') },
  );
  expect(config.kafka.sasl).toEqual({ mechanism: 'plain', username: 'u', password: 's3cret' });
  expect(
    problemsOf(() => loadServiceConfig('x', 1, { TOKEN: env.text() }, { TOKEN_FILE: join(dir, 'missing') })),
  ).toEqual([`TOKEN cannot be read from TOKEN_FILE=${join(dir, 'missing')}: ENOENT`]);
});

test('error messages never show a password from a URL', () => {
  expect(redactUrl('postgres://app:hunter2@db:5432/x')).toBe('postgres://app:***@db:5432/x');
  const [problem] = problemsOf(() => billingConfig({ ...AUTH, DATABASE_URL: 'http://app:hunter2@db/x' }));
  expect(problem).not.toContain('hunter2');
});

test('authentication is on by default and a service without its identity provider is refused, naming each setting', () => {
  expect(problemsOf(() => billingConfig({}))).toEqual([
    'AUTH_JWKS_URL is required when AUTH_MODE=jwt (the default)',
    'AUTH_ISSUER is required when AUTH_MODE=jwt (the default)',
    'AUTH_AUDIENCE is required when AUTH_MODE=jwt (the default)',
  ]);
  expect(billingConfig(AUTH).auth).toEqual({
    mode: 'jwt',
    jwksUrl: AUTH.AUTH_JWKS_URL,
    issuer: AUTH.AUTH_ISSUER,
    audience: 'orderflow',
    clockSkewSeconds: 30,
  });
  expect(billingConfig({ AUTH_MODE: 'off' }).auth).toEqual({ mode: 'off' });
});

test('bad auth settings are listed with every other problem', () => {
  expect(
    problemsOf(() =>
      billingConfig({
        AUTH_MODE: 'maybe',
        AUTH_JWKS_URL: 'file:///keys',
        AUTH_CLOCK_SKEW_SECONDS: '3600',
        ADMIN_PORT: 'x',
        LOG_LEVEL: 'loud',
      }),
    ).map((p) => p.split(' ')[0]),
  ).toEqual(['AUTH_MODE', 'AUTH_JWKS_URL', 'AUTH_CLOCK_SKEW_SECONDS', 'ADMIN_PORT', 'LOG_LEVEL']);
  expect(problemsOf(() => billingConfig({ ...AUTH, PORT: '4000', ADMIN_PORT: '4000' }))).toEqual([
    'ADMIN_PORT must differ from PORT (4000)',
  ]);
});
