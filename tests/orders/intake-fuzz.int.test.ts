// POST /orders under thousands of generated bodies (fast-check): malformed JSON, wrong types,
// missing and extra fields, huge strings, deep nesting, unicode, absurd quantities, 10,000 items,
// wrong content types and encodings, oversized bodies. Every answer comes quickly, is a 4xx with
// the JSON error shape — or, for a body that really is a valid order, 201 — never a 5xx, never a
// stack trace; and only the valid orders are written and published.
import { Agent, request } from 'node:http';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { catalogItem, DEMO_CATALOG, validatorFor, type CreateOrderRequest } from '@orderflow/shared';
import { startPlatform, withCallerToken, type Platform } from '../support/platform';
import { waitFor } from '../support/wait';

let platform: Platform;
let base: URL;
const agent = new Agent({ keepAlive: true, maxSockets: 8 });
const validRequest = validatorFor<CreateOrderRequest>('requests/CreateOrderRequest.json');

beforeAll(async () => {
  // The rate limit is a per-IP budget; this test is one client sending thousands on purpose.
  platform = await startPlatform({ services: ['orders'], env: { HTTP_RATE_LIMIT_PER_SECOND: '0' } });
  base = new URL(`${platform.url('orders')}/orders`);
});

afterAll(async () => {
  agent.destroy();
  await platform?.stop();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** Posts as the customer the body names (a token for that subject), as a real client would. */
async function post(body: Buffer | string, headers: Record<string, string>): Promise<Answer> {
  const authorized = await withCallerToken(headers, typeof body === 'string' ? body : undefined);
  return new Promise((resolve, reject) => {
    const req = request(
      base,
      {
        method: 'POST',
        agent,
        headers: { ...authorized, 'content-length': String(Buffer.byteLength(body)) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s (a hang)')));
    req.on('error', reject);
    req.end(body);
  });
}

/** Whether the platform must accept this body: valid against the contract, every item known, none twice. */
function acceptable(body: unknown): boolean {
  if (!validRequest(body)) return false;
  const ids = body.items.map((i) => i.itemId);
  return ids.every((id) => catalogItem(id)) && new Set(ids).size === ids.length;
}

const tally = { created: 0, requests: 0 };

/** The invariant for every answer. */
function expectWellFormed(answer: Answer, mayAccept: boolean): void {
  tally.requests++;
  if (answer.status === 201) tally.created++;
  expect(answer.status).toBeLessThan(500);
  expect(answer.text).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/); // no stack trace, no source paths
  if (answer.status < 300) {
    expect(mayAccept).toBe(true);
    expect([200, 201]).toContain(answer.status);
    return;
  }
  expect(answer.status).toBeGreaterThanOrEqual(400);
  expect(String(answer.headers['content-type'])).toMatch(/^application\/json/);
  const parsed = JSON.parse(answer.text) as { error?: { code?: unknown; message?: unknown } };
  expect(typeof parsed.error?.code).toBe('string');
  expect(typeof parsed.error?.message).toBe('string');
}

const json = { 'content-type': 'application/json' };

async function footprint() {
  const count = async (table: string) =>
    Number(
      (await platform.sql<{ n: string }>(`SELECT count(*) AS n FROM ${platform.table('orders', table)}`))[0]!
        .n,
    );
  return { orders: await count('orders'), history: await count('order_events') };
}

const itemId = fc.oneof(
  fc.constantFrom(...DEMO_CATALOG.map((i) => i.itemId)),
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);
const quantity = fc.oneof(
  fc.integer({ min: 1, max: 5 }),
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 1001, 2 ** 53, -(2 ** 53), 1e308, 1.5),
  fc.string({ maxLength: 5 }),
  fc.constant(null),
);
const line = fc.record({ itemId, quantity }, { requiredKeys: [] });
const lineWithExtras = fc
  .tuple(line, fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 }))
  .map(([l, extra]) => ({ ...extra, ...l }));
const orderish = fc
  .record(
    {
      orderId: fc.oneof(fc.uuid(), fc.string({ maxLength: 70 }), fc.integer(), fc.constant(null)),
      customerId: fc.oneof(
        fc.string({ minLength: 1, maxLength: 64 }),
        fc.string({ unit: 'grapheme', maxLength: 70 }),
        fc.constant(''),
        fc.integer(),
        fc.constant(null),
      ),
      email: fc.oneof(fc.emailAddress(), fc.string({ maxLength: 30 }), fc.constant(null)),
      items: fc.oneof(
        fc.array(line, { maxLength: 4 }),
        fc.array(lineWithExtras, { maxLength: 3 }),
        fc.constant([]),
        fc.jsonValue({ maxDepth: 2 }),
      ),
      extra: fc.jsonValue({ maxDepth: 3 }),
    },
    { requiredKeys: [] },
  )
  .map((o) => {
    const { extra, ...rest } = o as Record<string, unknown>;
    // Named after its JSON length: String() throws on a generated { toString: 0 }.
    return extra === undefined ? rest : { ...rest, [`x${JSON.stringify(extra).length}`]: extra };
  });
/** Valid orders, so that 201 is exercised too (and counted). */
const validOrder = fc.record({
  orderId: fc.uuid(),
  customerId: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).filter((s) => s.length <= 64),
  items: fc.uniqueArray(
    fc.record({
      itemId: fc.constantFrom('ceramic-mug', 'espresso-beans-1kg', 'burr-grinder'),
      quantity: fc.integer({ min: 1, max: 3 }),
    }),
    {
      minLength: 1,
      maxLength: 3,
      selector: (l) => l.itemId,
    },
  ),
});

const created: string[] = [];
let before: { orders: number; history: number };
let publishedBefore = 0;

beforeAll(async () => {
  before = await footprint();
  publishedBefore = platform.events.count('OrderCreated');
});

test('any JSON value at all is answered 4xx with a JSON error — or 201 only when it is a valid order', async () => {
  await fc.assert(
    fc.asyncProperty(fc.oneof(fc.jsonValue({ maxDepth: 4 }), orderish, validOrder), async (body) => {
      const answer = await post(JSON.stringify(body), json);
      expectWellFormed(answer, acceptable(body));
      if (acceptable(body)) expect([200, 201, 409]).toContain(answer.status);
      if (answer.status === 201) created.push(String((body as { orderId: string }).orderId));
    }),
    { numRuns: 2_000 },
  );
});

test('malformed JSON, unicode noise and truncated documents are answered 400', async () => {
  const valid = JSON.stringify({ customerId: 'c', items: [{ itemId: 'ceramic-mug', quantity: 1 }] });
  const broken = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.integer({ min: 1, max: valid.length - 1 }).map((n) => valid.slice(0, n)),
    fc.string({ maxLength: 50 }).map((s) => `{"customerId": "c", ${s}`),
  );
  await fc.assert(
    fc.asyncProperty(broken, async (text) => {
      let parses = true;
      try {
        JSON.parse(text);
      } catch {
        parses = false;
      }
      const answer = await post(text, json);
      expectWellFormed(answer, false);
      if (!parses && text.trim() !== '') expect(answer.status).toBe(400);
    }),
    { numRuns: 600 },
  );
});

test('other content types and encodings are answered 415 or 400, whatever the body', async () => {
  const contentType = fc.oneof(
    fc.constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/xml',
      'application/json-patch+json',
      '',
      'application/json; charset=latin-99',
    ),
    fc.string({ maxLength: 40 }).filter((s) => /^[\x21-\x7e ]*$/.test(s)),
  );
  await fc.assert(
    fc.asyncProperty(contentType, fc.oneof(validOrder, fc.jsonValue({ maxDepth: 2 })), async (type, body) => {
      const answer = await post(JSON.stringify(body), type ? { 'content-type': type } : {});
      const isJson = /^application\/json\s*(;|$)/i.test(type.trim());
      expectWellFormed(answer, isJson && acceptable(body));
      if (!isJson) expect([400, 415]).toContain(answer.status);
      if (answer.status === 201) created.push(String((body as { orderId: string }).orderId));
    }),
    { numRuns: 300 },
  );
  for (const encoding of ['gzip', 'deflate', 'br', 'compress', 'x-unknown']) {
    expectWellFormed(
      await post(Buffer.from('not compressed at all'), { ...json, 'content-encoding': encoding }),
      false,
    );
  }
});

test('huge strings, deep nesting, 10,000 items and bodies over 64 kb are refused with 400 or 413', async () => {
  const cases: [string, string | Buffer, Record<string, string>][] = [
    [
      'a 1 MB customerId',
      JSON.stringify({ customerId: 'x'.repeat(1_000_000), items: [{ itemId: 'ceramic-mug', quantity: 1 }] }),
      json,
    ],
    [
      'a 60 kb customerId',
      JSON.stringify({ customerId: '€'.repeat(20_000), items: [{ itemId: 'ceramic-mug', quantity: 1 }] }),
      json,
    ],
    [
      '10,000 items',
      JSON.stringify({
        customerId: 'c',
        items: Array.from({ length: 10_000 }, () => ({ itemId: 'ceramic-mug', quantity: 1 })),
      }),
      json,
    ],
    [
      '2,000 items under the size limit',
      JSON.stringify({
        customerId: 'c',
        items: Array.from({ length: 2_000 }, (_, i) => ({ itemId: `i${i}`, quantity: 1 })),
      }),
      json,
    ],
    [
      'arrays nested 30,000 deep',
      `{"customerId":"c","items":${'['.repeat(30_000)}${']'.repeat(30_000)}}`,
      json,
    ],
    ['objects nested 10,000 deep', `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`, json],
    [
      'a gzip bomb (1 MB inflated)',
      gzipSync(JSON.stringify({ customerId: 'x'.repeat(1_000_000), items: [] })),
      { ...json, 'content-encoding': 'gzip' },
    ],
    ['an empty body', '', json],
    ['a lone BOM', '\ufeff', json],
    ['a quantity of 1e400', '{"customerId":"c","items":[{"itemId":"ceramic-mug","quantity":1e400}]}', json],
    [
      'duplicate keys',
      '{"customerId":"c","customerId":1,"items":[{"itemId":"ceramic-mug","quantity":1}]}',
      json,
    ],
    [
      '__proto__ pollution',
      '{"customerId":"c","items":[{"itemId":"ceramic-mug","quantity":1}],"__proto__":{"admin":true}}',
      json,
    ],
    [
      'lone surrogates',
      '{"customerId":"\\ud800\\udfff\\udc00","items":[{"itemId":"\\ud83d","quantity":1}]}',
      json,
    ],
  ];
  for (const [what, body, headers] of cases) {
    const answer = await post(body, headers);
    expectWellFormed(answer, false);
    expect([what, answer.status >= 400 && answer.status < 500]).toEqual([what, true]);
  }
});

test('across every generated request, exactly the 201 answers were written and published, and nothing else', async () => {
  expect(tally.requests).toBeGreaterThan(2_900);
  expect(tally.created).toBeGreaterThan(50); // valid orders were generated and accepted too
  const after = await footprint();
  expect(after.orders - before.orders).toBe(tally.created);
  expect(after.orders - before.orders).toBe(created.length);
  expect(after.history - before.history).toBe(tally.created);
  await waitFor(() => platform.events.count('OrderCreated') - publishedBefore >= tally.created, {
    timeoutMs: 30_000,
    what: 'every created order on Kafka',
  });
  expect(platform.events.count('OrderCreated') - publishedBefore).toBe(tally.created);
  const published = new Set(
    platform.events.events.filter((e) => e.type === 'OrderCreated').map((e) => String(e.payload.orderId)),
  );
  for (const orderId of created) expect(published.has(orderId)).toBe(true);
});
