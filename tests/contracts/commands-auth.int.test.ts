// register-schemas and schemas:check read the registry's settings as the services do:
// SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD (here as _FILE) reach a registry
// that demands basic auth. The real registry sits behind a small proxy that enforces it.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SchemaRegistryClient } from '../../services/shared/src/contracts/registry';
import { DEFAULTS } from '../../services/shared/src/defaults';
import { subjectOf } from '../../services/shared/src/contracts/subjects';
import { EVENT_NAMES } from '../../services/shared/src/topics';
import { schemasCliAsync } from './cli';

const UPSTREAM = process.env.SCHEMA_REGISTRY_URL ?? DEFAULTS.SCHEMA_REGISTRY_URL;
const USER = 'schema-admin';
const PASSWORD = randomBytes(12).toString('hex');
const PREFIX = `it-commands-auth-${Date.now()}-${randomBytes(3).toString('hex')}.`;
const upstream = new SchemaRegistryClient({ url: UPSTREAM });

let proxy: Server;
let proxyUrl: string;
const seen = { authorized: 0, refused: 0 };

/** Forwards to the real registry only requests carrying the right basic-auth header; 401 otherwise. */
async function startBasicAuthProxy(): Promise<Server> {
  const expected = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
  const server = createServer((req, res) => {
    if (req.headers.authorization !== expected) {
      seen.refused++;
      res.writeHead(401, {
        'www-authenticate': 'Basic realm="registry"',
        'content-type': 'application/json',
      });
      res.end('{"error_code":401,"message":"Unauthorized"}');
      return;
    }
    seen.authorized++;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      try {
        const answer = await fetch(`${UPSTREAM}${req.url}`, {
          method: req.method,
          headers: { 'content-type': req.headers['content-type'] ?? 'application/json' },
          body: chunks.length ? Buffer.concat(chunks) : undefined,
        });
        res.writeHead(answer.status, {
          'content-type': answer.headers.get('content-type') ?? 'application/json',
        });
        res.end(Buffer.from(await answer.arrayBuffer()));
      } catch {
        res.writeHead(502).end();
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

beforeAll(async () => {
  proxy = await startBasicAuthProxy();
  proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
});

afterAll(async () => {
  for (const event of EVENT_NAMES) await upstream.deleteSubject(subjectOf(event, PREFIX));
  proxy?.close();
});

function credentials(): Record<string, string> {
  const file = join(mkdtempSync(join(tmpdir(), 'orderflow-secret-')), 'registry-password');
  writeFileSync(file, `${PASSWORD}\n`);
  return { SCHEMA_REGISTRY_USERNAME: USER, SCHEMA_REGISTRY_PASSWORD_FILE: file };
}

test('register-schemas with SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD_FILE registers through basic auth', async () => {
  const before = seen.refused;
  const run = await schemasCliAsync(['register'], {
    SCHEMA_REGISTRY_URL: proxyUrl,
    TOPIC_PREFIX: PREFIX,
    ...credentials(),
  });
  expect([run.status, run.output]).toEqual([0, expect.stringContaining(subjectOf('OrderCreated', PREFIX))]);
  expect(seen.refused).toBe(before);
  for (const event of EVENT_NAMES) {
    expect([event, (await upstream.versions(subjectOf(event, PREFIX))).length]).toEqual([event, 1]);
  }
});

test('schemas:check asks the registry through basic auth too', async () => {
  const before = { ...seen };
  const run = await schemasCliAsync(['check'], { SCHEMA_REGISTRY_URL: proxyUrl, ...credentials() });
  expect([run.status, run.output]).toEqual([0, expect.stringContaining(`offline and ${proxyUrl}`)]);
  expect(seen.authorized).toBeGreaterThan(before.authorized);
  expect(seen.refused).toBe(before.refused);
});

test('without the credentials the same registry refuses register-schemas, and the command fails saying so', async () => {
  const run = await schemasCliAsync(['register'], {
    SCHEMA_REGISTRY_URL: proxyUrl,
    TOPIC_PREFIX: `${PREFIX}anon.`,
  });
  expect(run.status).not.toBe(0);
  expect(run.output).toMatch(/401|Unauthorized/);
});
