// A server span per HTTP request, child of the caller's W3C traceparent when it sends one.
// A middleware of our own rather than @opentelemetry/instrumentation-http: that one patches
// Node's http module at load time (a require hook before anything imports http), while this
// is twenty lines, knows Koa's matched route, and is simply not installed when tracing is off.
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  defaultTextMapGetter,
  trace,
  type Attributes,
} from '@opentelemetry/api';
import type { Context, Middleware } from 'koa';
import type { Tracing } from './setup';

/** Probes and scrapes would drown the traces that matter. */
const UNTRACED = /^\/(health\/|metrics$)/;

export function httpSpans(tracing: Tracing): Middleware {
  return async (ctx, next) => {
    if (UNTRACED.test(ctx.path)) return next();
    const parent = tracing.extract(ROOT_CONTEXT, ctx.headers, defaultTextMapGetter);
    const attributes = { 'http.request.method': ctx.method, 'url.path': ctx.path };
    await tracing.tracer.startActiveSpan(
      ctx.method,
      { kind: SpanKind.SERVER, attributes },
      parent,
      async (span) => {
        try {
          await next();
        } finally {
          const route = (ctx as Context & { _matchedRoute?: string })._matchedRoute;
          if (route) {
            span.updateName(`${ctx.method} ${route}`);
            span.setAttribute('http.route', route);
          }
          span.setAttribute('http.response.status_code', ctx.status);
          if (ctx.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
          span.end();
        }
      },
    );
  };
}

/** Adds what a route learned (say, the order it placed) to its request's span; nothing when tracing is off. */
export function tagRequestSpan(tracing: Tracing, attributes: Attributes): void {
  if (tracing.enabled) trace.getActiveSpan()?.setAttributes(attributes);
}
