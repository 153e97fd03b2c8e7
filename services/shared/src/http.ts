// HTTP edge shared by every service: one error mapper, security headers, request metrics,
// health and metrics endpoints. The Koa app is separate from the server, so tests can
// drive app.callback() without opening a port.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import Koa, { type Context } from 'koa';
import Router from '@koa/router';
import coBody from 'co-body';
import {
  NotFoundError,
  OrderflowError,
  PayloadTooLargeError,
  TooManyRequestsError,
  UnavailableError,
  UnsupportedMediaTypeError,
  ValidationError,
  isTransient,
} from './errors';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import { httpSpans, type Tracing } from './tracing';

export { Router };

export interface Readiness {
  ready: boolean;
  checks: Record<string, string>;
}

export interface HttpAppOptions {
  logger: Logger;
  metrics: Metrics;
  readiness: () => Promise<Readiness>;
  router?: Router;
  /** Per client IP; off when absent or perSecond is 0. Health and metrics are never limited. */
  rateLimit?: RateLimit;
  /** Runs before every route (authentication; see auth/). */
  auth?: Koa.Middleware;
  /** Whether this app serves /health/* and /metrics (false when ADMIN_PORT serves them). */
  operations?: boolean;
  /** A span per request when tracing is on; nothing is added when it is off. */
  tracing?: Tracing;
}

export interface RateLimit {
  /** Tokens added to each client's bucket per second. */
  perSecond: number;
  /** The bucket's size: how many requests a quiet client may send at once. */
  burst: number;
}

/** Codes for the client errors Koa and the router raise themselves (our own are typed errors). */
const CLIENT_ERROR_CODES: Record<number, string> = {
  405: 'METHOD_NOT_ALLOWED',
};

export function createHttpApp({
  logger,
  metrics,
  readiness,
  router = new Router(),
  rateLimit,
  auth,
  operations = true,
  tracing,
}: HttpAppOptions): Koa {
  const app = new Koa();
  app.silent = true; // errors are logged once, below

  // Outermost, so the span sees the status the error mapper below settles on.
  if (tracing?.enabled) app.use(httpSpans(tracing));

  app.use(async (ctx, next) => {
    const endTimer = metrics.httpDuration.startTimer();
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined)
        throw new NotFoundError(`no route for ${ctx.method} ${ctx.path}`);
    } catch (err) {
      answerError(ctx, err, logger);
    } finally {
      const route = (ctx as Context & { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
      const labels = { method: ctx.method, route: String(route) };
      endTimer(labels);
      metrics.httpRequests.inc({ method: labels.method, route: labels.route, status: String(ctx.status) });
    }
  });

  app.use(async (ctx, next) => {
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Content-Security-Policy', "default-src 'none'");
    await next();
  });

  if (rateLimit && rateLimit.perSecond > 0) app.use(rateLimiter(rateLimit));
  if (auth) app.use(auth);

  if (operations) addOperationsRoutes(router, metrics, readiness);
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: true }));
  return app;
}

function addOperationsRoutes(router: Router, metrics: Metrics, readiness: () => Promise<Readiness>): void {
  router.get('/health/live', (ctx) => {
    ctx.body = { status: 'live' };
  });
  const ready = async (ctx: Context) => {
    const { ready, checks } = await readiness();
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'not ready', checks };
  };
  router.get('/health/ready', ready);
  // The path load balancers and older probes ask for: the same answer as readiness.
  router.get('/health', ready);
  router.get('/metrics', async (ctx) => {
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });
}

const MAX_TRACKED_CLIENTS = 10_000;

/** A token bucket per client IP (the socket's address; X-Forwarded-For is not trusted): 429 when empty. */
function rateLimiter({ perSecond, burst }: RateLimit): Koa.Middleware {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const refill = (bucket: { tokens: number; at: number }, now: number) => {
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
    bucket.at = now;
  };
  return async (ctx, next) => {
    if (ctx.path === '/health' || ctx.path.startsWith('/health/') || ctx.path === '/metrics') return next();
    const now = Date.now();
    if (buckets.size >= MAX_TRACKED_CLIENTS) {
      // Forget clients whose bucket has filled up again: they lose nothing by it.
      for (const [ip, bucket] of buckets) {
        refill(bucket, now);
        if (bucket.tokens >= burst) buckets.delete(ip);
      }
    }
    let bucket = buckets.get(ctx.ip);
    if (!bucket) buckets.set(ctx.ip, (bucket = { tokens: burst, at: now }));
    refill(bucket, now);
    if (bucket.tokens < 1) {
      const seconds = Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond));
      throw new TooManyRequestsError(
        `rate limit of ${perSecond} requests a second exceeded; retry after ${seconds} s`,
        seconds,
      );
    }
    bucket.tokens -= 1;
    await next();
  };
}

/** The one place an error becomes an HTTP answer: its status and a JSON body `{ error: { code, message } }`. */
function answerError(ctx: Context, err: unknown, logger: Logger): void {
  if (err instanceof OrderflowError) {
    ctx.status = err.status;
    if (err instanceof TooManyRequestsError) ctx.set('Retry-After', String(err.retryAfterSeconds));
    ctx.body = {
      error: err.expose
        ? {
            code: err.code,
            message: err.message,
            ...(err.details === undefined ? {} : { details: err.details }),
          }
        : { code: 'INTERNAL', message: 'internal error' },
    };
    if (err.status >= 500) logger.error({ err, path: ctx.path }, 'request failed');
    return;
  }
  if (isTransient(err))
    return answerError(
      ctx,
      new UnavailableError('a dependency is unavailable; try again', { cause: err }),
      logger,
    );
  // Errors from Koa, the router and the body parser carry a status and whether to show it.
  const { status, expose, message } = err as { status?: number; expose?: boolean; message?: string };
  if (status && status >= 400 && status < 500) {
    ctx.status = status;
    ctx.body = {
      error: {
        code: CLIENT_ERROR_CODES[status] ?? 'BAD_REQUEST',
        message: expose && message ? message : 'bad request',
      },
    };
    return;
  }
  logger.error({ err, path: ctx.path }, 'request failed');
  ctx.status = 500;
  ctx.body = { error: { code: 'INTERNAL', message: 'internal error' } };
}

/** Reads a JSON body: 415 for another content type, 413 over `limit`, 400 for malformed JSON. */
export async function readJsonBody(ctx: Context, limit = '64kb'): Promise<unknown> {
  if (!ctx.is('application/json'))
    throw new UnsupportedMediaTypeError('Content-Type must be application/json');
  try {
    return await coBody.json(ctx, { limit, strict: true });
  } catch (e) {
    const { status, type } = e as { status?: number; type?: string };
    if (status === 413) throw new PayloadTooLargeError(`body exceeds ${limit}`);
    if (status === 415) throw new UnsupportedMediaTypeError((e as Error).message, { cause: e });
    throw new ValidationError(
      type === 'encoding.unsupported' ? 'unsupported body encoding' : 'body is not valid JSON',
      {
        details: [{ path: '', message: 'malformed JSON' }],
      },
    );
  }
}

export interface HttpServer {
  url: string;
  close(): Promise<void>;
}

export async function listen(app: Koa, host: string, port: number): Promise<HttpServer> {
  const server = app.listen(port, host);
  await once(server, 'listening');
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
    },
  };
}
