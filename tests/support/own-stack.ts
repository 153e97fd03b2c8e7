// A stack of one's own, next to the shared one: its own directory, free ports and registry
// database, so a test may kill, stop and restart Kafka or the registry without touching anyone
// else's runs. Kafka's jars and the registry's distribution are linked from the main stack when
// it has fetched them. PostgreSQL is the server of DATABASE_URL (never stopped here).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { brokersOf, kafkaNodes, type KafkaNode } from '../../scripts/stack/cluster';
import { readSettings, ROOT, type Settings } from '../../scripts/stack/settings';

type StackModule = typeof import('../../scripts/stack/stack');
/** `kafka` is every Kafka node; `kafka-<n>` one node of a three-broker stack. */
export type Component = 'kafka' | `kafka-${number}` | 'registry';

export interface OwnStackOptions {
  /** What to run; PostgreSQL is always the server of DATABASE_URL. */
  components?: ('kafka' | 'registry')[];
  /** Kafka nodes: 1 (the default) or a KRaft cluster of 3. */
  brokers?: number;
  /** Turns on SASL/SCRAM-SHA-256 on the broker's client listener. */
  sasl?: { username: string; password: string };
  /** With `sasl`: the broker authorizes by ACLs, `sasl` is its admin (a super user) and every service
   * has a SCRAM user of its own (scripts/stack/principals.ts `serviceUser`). */
  acls?: boolean;
  /** Turns on TLS on the broker's client listener: a PEM keystore (key, then chain) and the CA. */
  tls?: { keystore: string; ca: string };
  log?: (line: string) => void;
}

export interface OwnStack {
  settings: Settings;
  /** The Kafka nodes, with their ports and `key` (`kafka`, or `kafka-1`…`kafka-3`). */
  nodes: KafkaNode[];
  /** What a service needs to find this stack. */
  env: { KAFKA_BROKERS: string; SCHEMA_REGISTRY_URL: string; DATABASE_URL: string };
  /** Stops a component with `signal` (SIGKILL: a crash) and returns once its process is gone. */
  stop(component: Component, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a stopped component and returns once it is ready. */
  start(component: Component): Promise<void>;
  /** What `stack:status` prints for this stack. */
  status(): ReturnType<StackModule['stackStatus']>;
  /** Stops everything and deletes the stack's directory, data and registry database. */
  destroy(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The stack functions read their settings from process.env: each call runs with ours set. */
let queue: Promise<unknown> = Promise.resolve();
function withEnv<T>(vars: Record<string, string | undefined>, work: () => Promise<T>): Promise<T> {
  const run = async () => {
    const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
    Object.assign(process.env, vars);
    for (const [k, v] of Object.entries(vars)) if (v === undefined) delete process.env[k];
    try {
      return await work();
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  };
  const next = queue.then(run, run);
  queue = next.catch(() => undefined);
  return next;
}

/** `count` consecutive free ports (a cluster's nodes listen on KAFKA_PORT + n − 1). */
async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    let free = true;
    for (let port = base; port < base + count && free; port++) free = await portFree(port);
    if (free) return base;
  }
  throw new Error(`no ${count} consecutive free ports found`);
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export async function startOwnStack(options: OwnStackOptions = {}): Promise<OwnStack> {
  const components = options.components ?? ['kafka', 'registry'];
  const brokers = options.brokers ?? 1;
  const log = options.log ?? (() => undefined);
  const id = randomBytes(4).toString('hex');
  const main = readSettings();
  const dir = join(ROOT, '.stack', 'own', id);
  // Broker ports first, then controller ports, all in one free range.
  const kafkaPort = brokers > 1 ? await freePortRange(2 * brokers) : await freePort();
  const vars: Record<string, string | undefined> = {
    ORDERFLOW_STACK_DIR: dir,
    KAFKA_PORT: String(kafkaPort),
    KAFKA_CONTROLLER_PORT: String(brokers > 1 ? kafkaPort + brokers : await freePort()),
    REGISTRY_PORT: String(await freePort()),
    REGISTRY_DATABASE: `apicurio_own_${id}`,
    ORDERFLOW_KAFKA_SASL: options.sasl ? 'scram' : '',
    ORDERFLOW_KAFKA_SASL_USERNAME: options.sasl?.username,
    ORDERFLOW_KAFKA_SASL_PASSWORD: options.sasl?.password,
    ORDERFLOW_KAFKA_ACLS: options.acls ? 'true' : '',
    ORDERFLOW_KAFKA_TLS_KEYSTORE: options.tls?.keystore,
    ORDERFLOW_KAFKA_TLS_CA: options.tls?.ca,
  };
  const settings = await withEnv(vars, async () => readSettings());
  mkdirSync(dir, { recursive: true });
  // Reuse what the main stack fetched instead of fetching it again.
  for (const [from, to] of [
    [main.kafka.home, settings.kafka.home],
    [main.registry.home, settings.registry.home],
  ] as const) {
    if (existsSync(from) && !existsSync(to)) symlinkSync(from, to);
  }
  const stack: StackModule = await import('../../scripts/stack/stack');
  const quiet = { log: (line: string) => log(`[own stack ${id}] ${line}`) };

  const nodes = kafkaNodes(settings.kafka, brokers);
  const own: OwnStack = {
    settings,
    nodes,
    env: {
      KAFKA_BROKERS: brokersOf(nodes),
      SCHEMA_REGISTRY_URL: settings.registry.url,
      DATABASE_URL: settings.postgres.url,
    },
    stop: (component, signal) => withEnv(vars, () => stack.stopComponent(component, signal)),
    status: () => withEnv(vars, () => stack.stackStatus()),
    start: (component) => withEnv(vars, () => stack.startComponent(component, { ...quiet, brokers })),
    async destroy() {
      await withEnv(vars, () => stack.stackDown({ ...quiet, wipe: components.includes('registry') }));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    if (components.includes('registry')) await withEnv(vars, () => stack.stackUp({ ...quiet, brokers }));
    else for (const component of components) await own.start(component);
  } catch (error) {
    await own.destroy().catch(() => undefined);
    // A StackError keeps the failing tool's last lines apart (the CLI prints them); a test shows
    // only the message, so they join it here.
    const detail = (error as { detail?: string }).detail;
    throw detail ? new Error(`${(error as Error).message}:\n${detail}`, { cause: error }) : error;
  }
  return own;
}
