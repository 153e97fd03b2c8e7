// Who may do what over HTTP, on the real services: every route × {no token, expired, wrong
// issuer, wrong audience, wrong key, another customer, operator} answers as docs/security.md says
// and writes nothing; fuzzed Authorization headers never get a 5xx; no token reaches a log line.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { ServiceName } from '@orderflow/shared';
import { generateIssuerKey, type IssuerKey } from '../../scripts/auth/issuer';
import { getJson, issuer, postJson, startPlatform, waitForStatus, type Platform } from '../support/platform';
import { waitFor } from '../support/wait';

let platform: Platform;
let strangerKey: IssuerKey;
const orderId = randomUUID();
const order = {
  orderId,
  customerId: 'ada',
  email: 'ada@example.com',
  items: [{ itemId: 'ceramic-mug', quantity: 1 }],
};
const minted: string[] = []; // every token this file made, to search the logs for

beforeAll(async () => {
  platform = await startPlatform({ env: { LOG_LEVEL: 'debug', HTTP_RATE_LIMIT_PER_SECOND: '0' } }); // the fuzz sends hundreds
  strangerKey = await generateIssuerKey();
  expect((await postJson(`${platform.url('orders')}/orders`, order, await as('ada'))).status).toBe(201);
  await waitForStatus(platform, orderId, 'SHIPPED');
  await waitFor(
    async () =>
      (await getJson(`${platform.url('notifications')}/notifications?orderId=${orderId}`)).body.notifications
        .length === 2,
    { what: "both of ada's emails" },
  );
});

afterAll(async () => {
  await platform?.stop();
});

type Caller =
  'no token' | 'expired' | 'wrong issuer' | 'wrong audience' | 'wrong key' | 'another customer' | 'operator';

async function as(
  subject: string,
  options: Parameters<Awaited<ReturnType<typeof issuer>>['mint']>[0] | object = {},
) {
  const token = await (await issuer()).mint({ subject, ...options });
  minted.push(token);
  return { authorization: `Bearer ${token}` };
}

async function headersOf(caller: Caller): Promise<Record<string, string>> {
  const tokens = await issuer();
  switch (caller) {
    case 'no token':
      return { authorization: '' };
    case 'expired':
      return as('ada', { expiresInSeconds: -120 }); // beyond the 30 s of allowed clock skew
    case 'wrong issuer':
      return as('ada', { issuer: 'https://someone-else.example' });
    case 'wrong audience':
      return as('ada', { audience: 'another-api' });
    case 'wrong key':
      // Same key id as the real key, signed by another: the signature does not verify.
      return as('ada', { key: { ...strangerKey, kid: tokens.key.kid } });
    case 'another customer':
      return as('bob');
    case 'operator':
      return as('ops', { operator: true });
  }
}

interface Route {
  service: ServiceName;
  name: string;
  call(headers: Record<string, string>): Promise<{ status: number; body: any; headers?: Headers }>;
}

async function get(service: ServiceName, path: string, headers: Record<string, string>) {
  const response = await fetch(`${platform.url(service)}${path}`, { headers });
  const text = await response.text();
  const json = response.headers.get('content-type')?.includes('json');
  return { status: response.status, body: json ? JSON.parse(text) : text, headers: response.headers };
}

const ROUTES: Route[] = [
  {
    service: 'orders',
    name: 'POST /orders',
    // ada's order again, or a new one in her name: only ada may place it.
    call: async (headers) => {
      const response = await fetch(`${platform.url('orders')}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ ...order, orderId: randomUUID() }),
      });
      const text = await response.text();
      return { status: response.status, body: JSON.parse(text), headers: response.headers };
    },
  },
  { service: 'orders', name: 'GET /orders/:id', call: (h) => get('orders', `/orders/${orderId}`, h) },
  {
    service: 'orders',
    name: 'GET /orders/:id/events',
    call: (h) => get('orders', `/orders/${orderId}/events`, h),
  },
  {
    service: 'billing',
    name: 'GET /payments/:orderId',
    call: (h) => get('billing', `/payments/${orderId}`, h),
  },
  {
    service: 'shipping',
    name: 'GET /shipments/:orderId',
    call: (h) => get('shipping', `/shipments/${orderId}`, h),
  },
  {
    service: 'notifications',
    name: 'GET /notifications?orderId=',
    call: (h) => get('notifications', `/notifications?orderId=${orderId}`, h),
  },
  { service: 'inventory', name: 'GET /inventory', call: (h) => get('inventory', '/inventory', h) },
];

const REFUSED: Caller[] = ['no token', 'expired', 'wrong issuer', 'wrong audience', 'wrong key'];

/** What each caller gets: the status, and for a refusal the error code (and a 401's challenge). */
function expected(route: Route, caller: Caller): { status: number; code?: string; challenge?: string } {
  if (route.name === 'GET /inventory') return { status: 200 }; // public: no token needed, none looked at
  if (caller === 'no token')
    return { status: 401, code: 'UNAUTHORIZED', challenge: 'Bearer realm="orderflow"' };
  if (REFUSED.includes(caller))
    return {
      status: 401,
      code: 'UNAUTHORIZED',
      challenge: 'Bearer realm="orderflow", error="invalid_token"',
    };
  if (route.name === 'POST /orders') return { status: 403, code: 'FORBIDDEN' }; // the body names ada
  if (caller === 'operator') return { status: 200 };
  // Another customer's things read exactly as missing ones; a list simply has none of them.
  if (route.name === 'GET /notifications?orderId=') return { status: 200 };
  return { status: 404, code: 'NOT_FOUND' };
}

async function footprint(): Promise<number[]> {
  const count = async (service: ServiceName, table: string) =>
    Number(
      (await platform.sql<{ n: string }>(`SELECT count(*) AS n FROM ${platform.table(service, table)}`))[0]!
        .n,
    );
  return [
    await count('orders', 'orders'),
    await count('orders', 'order_events'),
    await count('orders', 'outbox'),
    platform.events.count('OrderCreated'),
  ];
}

test('every route answers each caller as specified, and refused calls write nothing', async () => {
  const before = await footprint();
  const answers: string[] = [];
  const wanted: string[] = [];
  for (const route of ROUTES) {
    for (const caller of [...REFUSED, 'another customer', 'operator'] as Caller[]) {
      const answer = await route.call(await headersOf(caller));
      const want = expected(route, caller);
      const challenge = answer.headers?.get('www-authenticate');
      answers.push(
        `${route.name} as ${caller}: ${answer.status} ${want.code ? answer.body?.error?.code : ''} ${want.challenge ? challenge : ''}`,
      );
      wanted.push(`${route.name} as ${caller}: ${want.status} ${want.code ?? ''} ${want.challenge ?? ''}`);
      if (route.name === 'GET /notifications?orderId=' && caller === 'another customer')
        expect(answer.body.notifications).toEqual([]);
      if (route.name === 'GET /notifications?orderId=' && caller === 'operator')
        expect(answer.body.notifications).toHaveLength(2);
    }
  }
  expect(answers).toEqual(wanted);
  expect(await footprint()).toEqual(before);
});

test("a customer reads their own order, payment, shipment and notifications; the operator's list holds every customer's", async () => {
  const mine = await as('ada');
  expect((await get('orders', `/orders/${orderId}`, mine)).body.status).toBe('SHIPPED');
  expect((await get('billing', `/payments/${orderId}`, mine)).status).toBe(200);
  expect((await get('shipping', `/shipments/${orderId}`, mine)).status).toBe(200);
  expect((await get('notifications', '/notifications', mine)).body.notifications).toHaveLength(2);
  expect((await get('notifications', '/notifications', await as('bob'))).body.notifications).toEqual([]);
  const all = (await get('notifications', '/notifications', await as('ops', { operator: true }))).body;
  expect(all.notifications.every((n: { orderId: string }) => n.orderId === orderId)).toBe(true);
  expect(all.notifications).toHaveLength(2);
});

test('an order is placed as the token subject: the same body from its customer is accepted', async () => {
  const mine = { ...order, orderId: randomUUID() };
  const placed = await postJson(`${platform.url('orders')}/orders`, mine, await as('ada'));
  expect([placed.status, placed.body.customerId]).toEqual([201, 'ada']);
  const theirs = await postJson(
    `${platform.url('orders')}/orders`,
    { ...mine, orderId: randomUUID() },
    await as('bob'),
  );
  expect([theirs.status, theirs.body.error.code]).toEqual([403, 'FORBIDDEN']);
});

test('fuzzed Authorization headers never get a 5xx: each is a 401', async () => {
  const tokens = await issuer();
  const real = (await as('ada')).authorization.slice('Bearer '.length);
  const b64url = fc.stringMatching(/^[A-Za-z0-9_-]{0,60}$/);
  const headerValue = fc.oneof(
    fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,200}$/), // any visible ASCII
    fc
      .tuple(
        fc.constantFrom('Bearer ', 'bearer ', 'BEARER  ', 'Basic ', 'Bearer'),
        fc.string({ maxLength: 100 }).map((s) => s.replace(/[^\x21-\x7e]/g, '')),
      )
      .map(([a, b]) => a + b),
    fc.tuple(b64url, b64url, b64url).map((parts) => `Bearer ${parts.join('.')}`),
    // The real token with one character changed: header, payload or signature tampered with.
    // (Not the last character: base64url's spare bits there decode to the same signature bytes.)
    fc.nat({ max: real.length - 2 }).chain((i) =>
      fc
        .constantFrom('A', 'b', '-', '_', '.')
        .filter((c) => c !== real[i])
        .map((c) => `Bearer ${real.slice(0, i)}${c}${real.slice(i + 1)}`),
    ),
    // A well-formed header and payload for this issuer, with no valid signature.
    fc.jsonValue().map((payload) => {
      const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
      return `Bearer ${enc({ alg: 'ES256', kid: tokens.key.kid })}.${enc(payload)}.${enc('sig')}`;
    }),
  );
  await fc.assert(
    fc.asyncProperty(headerValue, async (value) => {
      const answer = await get('orders', `/orders/${orderId}`, { authorization: value });
      expect([value, answer.status, answer.body?.error?.code]).toEqual([value, 401, 'UNAUTHORIZED']);
    }),
    { numRuns: 300 },
  );
});

test('health and metrics stay open, and ADMIN_PORT moves them to a listener of their own', async () => {
  expect((await get('orders', '/health/live', {})).status).toBe(200);
  expect((await get('orders', '/metrics', {})).status).toBe(200);
  const separate = await platform.startService('inventory', { ADMIN_PORT: '0' });
  expect(separate.adminUrl).not.toBe(separate.url);
  expect((await fetch(`${separate.adminUrl}/health/ready`)).status).toBe(200);
  expect((await fetch(`${separate.adminUrl}/metrics`)).status).toBe(200);
  expect((await fetch(`${separate.url}/health/live`)).status).toBe(404);
  expect((await fetch(`${separate.adminUrl}/inventory`)).status).toBe(404);
  expect((await fetch(`${separate.url}/inventory`)).status).toBe(200);
});

test('no token reaches a log line, at debug level, in any service', () => {
  expect(minted.length).toBeGreaterThan(10);
  const text = platform.logs.lines.map((l) => JSON.stringify(l)).join('\n');
  expect(platform.logs.lines.length).toBeGreaterThan(20); // a whole saga's worth, at debug level
  const leaked = minted.filter((token) => text.includes(token) || text.includes(token.split('.')[2]!));
  expect(leaked).toEqual([]);
});
