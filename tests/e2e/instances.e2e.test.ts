// `--instances billing=2` (ORDERFLOW_INSTANCES) really runs two billing processes on the stack:
// planned as `npm start` plans them (scripts/instances.ts), each on its own port, both members of
// billing's consumer group sharing the partitions, and orders still go all the way to SHIPPED.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { AssignerProtocol } from 'kafkajs';
import { SERVICE_NAMES, TOPIC_DEFAULTS, groupOf, topicOf, type ServiceName } from '@orderflow/shared';
import { parseInstances, planInstances } from '../../scripts/instances';
import { freePort } from '../support/own-stack';
import { getJson, postJson, startPlatform, type Platform } from '../support/platform';
import { ServiceProcess } from '../support/service-process';
import { waitFor } from '../support/wait';

const ORDERS = 20;
const logDir = mkdtempSync(join(tmpdir(), 'orderflow-instances-'));
let platform: Platform;
let processes: ServiceProcess[] = [];

/** Whether something may listen on `port` now. */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A free port with a free one 100 above it, where the plan puts a second instance. */
async function freePortWithRoom(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port + 100 < 65_536 && (await canListen(port + 100))) return port;
  }
}

beforeAll(async () => {
  // Topics, subjects and schemas of a prefix of our own; the services run as processes here.
  platform = await startPlatform({ services: [] });
  const ports = new Map<ServiceName, number>();
  for (const service of SERVICE_NAMES) ports.set(service, await freePortWithRoom());
  const plan = planInstances(parseInstances('billing=2'), (service) => ports.get(service)!);
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    ...platform.env,
    LOG_LEVEL: 'warn',
  };
  processes = plan.map(
    (i) =>
      new ServiceProcess(
        i.service,
        i.port,
        env as Record<string, string>,
        logDir,
        i.label.slice(i.service.length),
      ),
  );
  for (const p of processes) p.start();
  await Promise.all(processes.map((p) => p.ready()));
}, 180_000);

afterAll(async () => {
  for (const p of processes) await p.stop();
  await platform?.stop();
  rmSync(logDir, { recursive: true, force: true });
}, 120_000);

/** Partitions of orders.events each member of billing's group holds, once the group is stable. */
async function billingAssignments(): Promise<number[][]> {
  const admin = platform.kafka.admin();
  await admin.connect();
  try {
    const {
      groups: [group],
    } = await admin.describeGroups([groupOf('billing', platform.prefix)]);
    if (group?.state !== 'Stable') return [];
    return group.members.map(
      (m) =>
        AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment[
          topicOf('OrderCreated', platform.prefix)
        ] ?? [],
    );
  } finally {
    await admin.disconnect();
  }
}

/** What orderflow_events_consumed_total of one process adds up to. */
async function consumed(p: ServiceProcess): Promise<number> {
  const text = await (await fetch(`${p.url}/metrics`)).text();
  let total = 0;
  for (const m of text.matchAll(/^orderflow_events_consumed_total\{[^}]*\} (\d+)/gm)) total += Number(m[1]);
  return total;
}

test('two billing instances, each on its own port, share the group and every order is SHIPPED', async () => {
  const billings = processes.filter((p) => p.name === 'billing');
  expect(billings).toHaveLength(2);
  expect(billings[1]!.port).toBe(billings[0]!.port + 100);

  const members = await waitFor(
    async () => {
      const assignments = await billingAssignments();
      return assignments.length === 2 ? assignments : undefined;
    },
    { timeoutMs: 60_000, what: "billing's group to be stable with two members" },
  );
  for (const partitions of members) expect(partitions.length).toBeGreaterThan(0);
  expect(members.flat().sort((a, b) => a - b)).toEqual([...Array(TOPIC_DEFAULTS.partitions).keys()]);

  const orders = processes.find((p) => p.name === 'orders')!;
  const orderIds = Array.from({ length: ORDERS }, () => randomUUID());
  for (const orderId of orderIds) {
    const { status } = await postJson(`${orders.url}/orders`, {
      orderId,
      customerId: 'c-instances',
      email: 'instances@example.com',
      items: [{ itemId: 'ceramic-mug', quantity: 1 }],
    });
    expect(status).toBe(201);
  }
  await waitFor(
    async () => {
      for (const id of orderIds)
        if ((await getJson(`${orders.url}/orders/${id}`)).body?.status !== 'SHIPPED') return false;
      return true;
    },
    { timeoutMs: 90_000, intervalMs: 500, what: `${ORDERS} orders to reach SHIPPED` },
  );
  // Both instances did billing's work (random keys over six partitions, three each).
  for (const billing of billings) expect(await consumed(billing)).toBeGreaterThan(0);
});
