// Kafka least privilege on a broker of this test's own that authorizes every request by its ACLs
// (KRaft's StandardAuthorizer, deny unless allowed): the ACLs come from `npm run kafka:acls -- --apply`
// run as the admin, the saga runs with each service logged in as its own SCRAM principal (the login
// `npm start` gives it, scripts/service-env.ts), the shipping principal cannot publish on billing's
// topic, and `--prune` deletes exactly the services' ACLs the table no longer implies.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ResourcePatternTypes,
  type AclEntry,
  type Kafka,
} from 'kafkajs';
import { SERVICE_NAMES, createLogger, createKafka, createProducer, type Env } from '@orderflow/shared';
import { serviceKafkaLogin, serviceUser } from '../../scripts/stack/principals';
import { ROOT } from '../../scripts/stack/settings';
import { startOwnStack, type OwnStack } from '../support/own-stack';
import { postJson, startPlatform, waitForStatus, type Platform } from '../support/platform';

const run = promisify(execFile);
const admin = { username: 'orderflow-admin', password: `admin-${randomBytes(9).toString('hex')}` };
const MECHANISM = 'scram-sha-256';

let stack: OwnStack;
let platform: Platform;
let adminEnv: Env;

beforeAll(async () => {
  stack = await startOwnStack({ components: ['kafka'], sasl: admin, acls: true });
  adminEnv = {
    KAFKA_BROKERS: stack.env.KAFKA_BROKERS,
    KAFKA_SASL_MECHANISM: MECHANISM,
    KAFKA_SASL_USERNAME: admin.username,
    KAFKA_SASL_PASSWORD: admin.password,
  };
  // The admin creates every topic; the services start once the ACLs are in place.
  platform = await startPlatform({ services: [], env: adminEnv });
});

afterAll(async () => {
  await platform?.stop();
  await stack?.destroy();
});

/** `npm run kafka:acls -- --apply` as the admin, under this run's prefix; its output. */
async function applyAcls(...flags: string[]): Promise<string> {
  const { stdout } = await run(
    join(ROOT, 'node_modules', '.bin', 'tsx'),
    ['scripts/kafka-acls.ts', '--apply', ...flags],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH, ...adminEnv, TOPIC_PREFIX: platform.prefix, LOG_LEVEL: 'warn' },
    },
  );
  return stdout;
}

/** A client logged in as one service's principal. */
function kafkaAs(service: (typeof SERVICE_NAMES)[number]): Kafka {
  const { username, password } = serviceUser(admin.password, service);
  const logger = createLogger({ service: 'acl-test', level: 'silent' });
  return createKafka(
    { brokers: [stack.env.KAFKA_BROKERS], ssl: false, sasl: { mechanism: MECHANISM, username, password } },
    `acl-test-${service}`,
    logger,
  );
}

test('kafka:acls --apply creates the ACLs of every service, and applying them again changes nothing', async () => {
  expect(await applyAcls()).toMatch(/^65 created, 0 already present$/m);
  expect(await applyAcls()).toMatch(/^0 created, 65 already present$/m);
});

test('the saga reaches SHIPPED with every service logged in as its own principal', async () => {
  for (const service of SERVICE_NAMES) {
    await platform.startService(service, serviceKafkaLogin(stack.settings.kafka, service));
  }
  const orderId = `acl-${randomBytes(4).toString('hex')}`;
  const placed = await postJson(`${platform.url('orders')}/orders`, {
    orderId,
    customerId: 'c-acl',
    email: 'acl@example.com',
    items: [{ itemId: 'ceramic-mug', quantity: 1 }],
  });
  expect(placed.status).toBe(201);
  await waitForStatus(platform, orderId, 'SHIPPED', 90_000);
});

test('the shipping principal is refused when it writes billing.events (TOPIC_AUTHORIZATION_FAILED), and nothing lands there', async () => {
  const topic = `${platform.prefix}billing.events`;
  const offsets = async () => {
    const kafkaAdmin = platform.kafka.admin();
    await kafkaAdmin.connect();
    try {
      return (await kafkaAdmin.fetchTopicOffsets(topic)).map((p) => `${p.partition}:${p.high}`);
    } finally {
      await kafkaAdmin.disconnect();
    }
  };
  const before = await offsets();
  const producer = createProducer(kafkaAs('shipping'));
  await producer.connect();
  try {
    const sent = producer.send({ topic, acks: -1, messages: [{ key: 'forged', value: 'PaymentCaptured' }] });
    await expect(sent).rejects.toThrow();
    expect(errorTypes(await sent.catch((e: unknown) => e))).toContain('TOPIC_AUTHORIZATION_FAILED');
  } finally {
    await producer.disconnect();
  }
  expect(await offsets()).toEqual(before);
});

test('kafka:acls --apply --prune deletes, and prints, the services’ ACLs the table no longer implies, and nothing else', async () => {
  const read = (principal: string, resourceName: string): AclEntry => ({
    principal,
    host: '*',
    resourceType: AclResourceTypes.TOPIC,
    resourceName,
    resourcePatternType: ResourcePatternTypes.LITERAL,
    operation: AclOperationTypes.READ,
    permissionType: AclPermissionTypes.ALLOW,
  });
  const stale = read('User:orderflow-billing', `${platform.prefix}shipping.events`); // an input billing does not read
  const others = [
    read('User:someone-else', `${platform.prefix}shipping.events`),
    read('User:orderflow-billing', `other-${platform.prefix}shipping.events`), // another prefix's
  ];
  const kafkaAdmin = platform.kafka.admin();
  await kafkaAdmin.connect();
  try {
    await kafkaAdmin.createAcls({ acl: [stale, ...others] });

    const output = await applyAcls('--prune');

    expect(output).toMatch(
      new RegExp(
        `^  deleted  User:orderflow-billing +topic +${platform.prefix}shipping\\.events +READ$`,
        'm',
      ),
    );
    expect(output).toMatch(/^0 created, 65 already present\n1 deleted/m);
    const { resources } = await kafkaAdmin.describeAcls({
      resourceType: AclResourceTypes.TOPIC,
      resourcePatternType: ResourcePatternTypes.LITERAL,
      operation: AclOperationTypes.READ,
      permissionType: AclPermissionTypes.ALLOW,
    });
    const held = resources.flatMap((r) => r.acls.map((a) => `${a.principal} ${r.resourceName}`));
    expect(held).not.toContain(`${stale.principal} ${stale.resourceName}`);
    for (const other of others) expect(held).toContain(`${other.principal} ${other.resourceName}`);
    expect(await applyAcls('--prune')).toMatch(/^0 created, 65 already present\n0 deleted/m);
  } finally {
    await kafkaAdmin.deleteAcls({ filters: others }).catch(() => undefined);
    await kafkaAdmin.disconnect();
  }
});

/** The kafkajs error types of an error and of every error it wraps. */
function errorTypes(error: unknown): string[] {
  const types: string[] = [];
  for (let e = error as { type?: string; cause?: unknown; originalError?: unknown } | undefined; e;) {
    if (e.type) types.push(e.type);
    e = (e.originalError ?? e.cause) as typeof e | undefined;
  }
  return types;
}
