// The HTTP edge every service shares: per-IP rate limit, security headers, and errors that
// never show a stack trace or an internal message.
import { Writable } from 'node:stream';
import {
  createHttpApp,
  createLogger,
  createMetrics,
  listen,
  readJsonBody,
  Router,
  StoppingError,
  type HttpServer,
  type RateLimit,
  type Readiness,
} from '@orderflow/shared';

const servers: HttpServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

async function serve(
  rateLimit?: RateLimit,
  routes?: (r: Router) => void,
  readiness: () => Promise<Readiness> = async () => ({ ready: true, checks: {} }),
): Promise<string> {
  const router = new Router();
  routes?.(router);
  const logger = createLogger({
    service: 'test',
    destination: new Writable({ write: (_c, _e, done) => done() }),
  });
  const app = createHttpApp({
    logger,
    metrics: createMetrics('test'),
    readiness,
    router,
    rateLimit,
  });
  const server = await listen(app, '127.0.0.1', 0);
  servers.push(server);
  return server.url;
}

test('a client over its budget gets 429 with the JSON error shape and Retry-After, while health and metrics still answer', async () => {
  const url = await serve({ perSecond: 1, burst: 3 }, (r) =>
    r.get('/things', (ctx) => void (ctx.body = { ok: true })),
  );
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) statuses.push((await fetch(`${url}/things`)).status);
  expect(statuses).toEqual([200, 200, 200, 429, 429]);
  const limited = await fetch(`${url}/things`);
  expect(limited.status).toBe(429);
  expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
  expect(limited.headers.get('x-content-type-options')).toBe('nosniff');
  expect(await limited.json()).toEqual({
    error: { code: 'TOO_MANY_REQUESTS', message: expect.stringContaining('rate limit') },
  });
  expect((await fetch(`${url}/health/live`)).status).toBe(200);
  expect((await fetch(`${url}/metrics`)).status).toBe(200);
});

test('with the limit at 0 nothing is limited', async () => {
  const url = await serve({ perSecond: 0, burst: 1 });
  const statuses = await Promise.all(
    Array.from({ length: 50 }, () => fetch(`${url}/health/live`).then((r) => r.status)),
  );
  expect(new Set(statuses)).toEqual(new Set([200]));
  const other = await Promise.all(
    Array.from({ length: 50 }, () => fetch(`${url}/nope`).then((r) => r.status)),
  );
  expect(new Set(other)).toEqual(new Set([404]));
});

test('no route, a body too large, a body not JSON and a stopping service each answer their status with a JSON body naming it', async () => {
  const url = await serve(undefined, (r) => {
    r.post('/echo', async (ctx) => void (ctx.body = await readJsonBody(ctx, '1kb')));
    r.get('/draining', () => {
      throw new StoppingError('orders is stopping; try another instance');
    });
  });
  const answer = async (path: string, init?: RequestInit) => {
    const res = await fetch(`${url}${path}`, init);
    return { status: res.status, body: await res.json() };
  };
  const json = { 'content-type': 'application/json' };
  expect(await answer('/nope')).toEqual({
    status: 404,
    body: { error: { code: 'NOT_FOUND', message: 'no route for GET /nope' } },
  });
  expect(
    await answer('/echo', { method: 'POST', headers: json, body: JSON.stringify({ a: 'x'.repeat(2048) }) }),
  ).toEqual({
    status: 413,
    body: { error: { code: 'PAYLOAD_TOO_LARGE', message: 'body exceeds 1kb' } },
  });
  expect(
    await answer('/echo', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' }),
  ).toEqual({
    status: 415,
    body: { error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Content-Type must be application/json' } },
  });
  expect(await answer('/draining')).toEqual({
    status: 503,
    body: { error: { code: 'STOPPING', message: 'orders is stopping; try another instance' } },
  });
});

test('an unexpected error is a 500 saying only "internal error": no message, no stack trace', async () => {
  const url = await serve(undefined, (r) => {
    r.get('/boom', () => {
      throw new Error('secret internals at /srv/app/db.ts:42 password=hunter2');
    });
  });
  const res = await fetch(`${url}/boom`);
  expect(res.status).toBe(500);
  const text = await res.text();
  expect(JSON.parse(text)).toEqual({ error: { code: 'INTERNAL', message: 'internal error' } });
  expect(text).not.toMatch(/hunter2|db\.ts|\bat\b/);
  for (const header of [
    'x-content-type-options',
    'x-frame-options',
    'content-security-policy',
    'referrer-policy',
    'cache-control',
  ]) {
    expect([header, res.headers.get(header)]).toEqual([header, expect.any(String)]);
  }
});

test('GET /health answers exactly as /health/ready does, ready or not', async () => {
  let state: Readiness = { ready: true, checks: { kafka: 'ok', registry: 'ok', database: 'ok' } };
  const url = await serve(undefined, undefined, async () => state);
  const answer = async (path: string) => {
    const res = await fetch(`${url}${path}`);
    return { status: res.status, body: await res.json() };
  };
  expect(await answer('/health')).toEqual(await answer('/health/ready'));
  expect((await answer('/health')).status).toBe(200);
  state = { ready: false, checks: { kafka: 'ok', registry: 'ok', database: 'connection refused' } };
  expect(await answer('/health')).toEqual({
    status: 503,
    body: { status: 'not ready', checks: state.checks },
  });
  expect(await answer('/health')).toEqual(await answer('/health/ready'));
});
