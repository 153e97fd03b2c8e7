// What `npm start` and `npm run up` give each service and run first, planned from the local stack's
// settings (scripts/service-env.ts): on a broker that authorizes by ACLs, every service logs in as
// its own principal whatever login the shell holds, and the ACLs are applied by the admin first.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_PORTS, SERVICE_NAMES } from '@orderflow/shared';
import { planInstances } from '../../scripts/instances';
import { prepareSteps, serviceEnv } from '../../scripts/service-env';
import { serviceUser } from '../../scripts/stack/principals';

const shell = {
  // A stack directory of its own: no Zipkin or brokers remembered there.
  ORDERFLOW_STACK_DIR: join(mkdtempSync(join(tmpdir(), 'service-env-')), '.stack'),
  KAFKA_BROKERS: '127.0.0.1:19092',
  // The admin's login, as docs/security.md has the shell export it for topics:create.
  KAFKA_SASL_MECHANISM: 'scram-sha-256',
  KAFKA_SASL_USERNAME: 'orderflow',
  KAFKA_SASL_PASSWORD: 'admin-secret',
};
const aclStack = {
  ...shell,
  ORDERFLOW_KAFKA_SASL: 'scram',
  ORDERFLOW_KAFKA_SASL_PASSWORD: 'admin-secret',
  ORDERFLOW_KAFKA_ACLS: 'true',
};
const instances = planInstances(
  { orders: 1, billing: 2, inventory: 1, shipping: 1, notifications: 1 },
  (service) => DEFAULT_PORTS[service],
);

const login = (env: NodeJS.ProcessEnv) => [
  env.KAFKA_SASL_MECHANISM,
  env.KAFKA_SASL_USERNAME,
  env.KAFKA_SASL_PASSWORD,
];

test('given a stack whose broker authorizes by ACLs, when the services start, then each instance logs in as its own principal, not as the shell’s admin', () => {
  for (const instance of instances) {
    const env = serviceEnv(instance, aclStack);
    const own = serviceUser('admin-secret', instance.service);
    expect(login(env)).toEqual(['scram-sha-256', `orderflow-${instance.service}`, own.password]);
    expect(env.KAFKA_SASL_PASSWORD_FILE).toBe(''); // a secret file in the shell would win otherwise
    expect(env.PORT).toBe(String(instance.port));
    expect(env.KAFKA_BROKERS).toBe('127.0.0.1:19092');
  }
  const passwords = SERVICE_NAMES.map((s) =>
    serviceEnv(
      instances.find((i) => i.service === s)!,
      aclStack,
    ),
  );
  expect(new Set(passwords.map((env) => env.KAFKA_SASL_PASSWORD)).size).toBe(SERVICE_NAMES.length);
});

test('given a stack whose broker authorizes by ACLs, when it is prepared, then the admin applies the ACLs after creating the topics, from the stack’s settings when the shell names no login', () => {
  const steps = prepareSteps(aclStack);
  expect(steps.map((s) => [s.script, ...s.args].join(' '))).toEqual([
    'stack:up',
    'topics:create',
    'kafka:acls --apply',
    'register-schemas',
  ]);
  expect(steps[2]!.env).toEqual({}); // the shell's admin login stands

  const { KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD, ...noLogin } = aclStack;
  void [KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD];
  const admin = ['scram-sha-256', 'orderflow', 'admin-secret'];
  for (const step of prepareSteps(noLogin).filter(
    (s) => s.script !== 'stack:up' && s.script !== 'register-schemas',
  ))
    expect(login(step.env)).toEqual(admin);
});

test('given a stack without ACLs, then the services keep the shell’s login and nothing applies ACLs', () => {
  const saslOnly = { ...shell, ORDERFLOW_KAFKA_SASL: 'scram', ORDERFLOW_KAFKA_SASL_PASSWORD: 'admin-secret' };
  for (const env of [shell, saslOnly]) {
    expect(login(serviceEnv(instances[1]!, env))).toEqual(['scram-sha-256', 'orderflow', 'admin-secret']);
    expect(prepareSteps(env).map((s) => s.script)).toEqual(['stack:up', 'topics:create', 'register-schemas']);
  }
});
