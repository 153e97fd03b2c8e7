// W3C trace context (traceparent, tracestate) in message headers. An outbox row stores the
// context of the request or handler that wrote it, because the relay publishes it later, in a
// loop of its own; the relay's publish span then continues from it.
import { ROOT_CONTEXT, context, trace, type Context, type Span } from '@opentelemetry/api';
import type { Tracing } from './setup';

const recordSetter = {
  set: (carrier: Record<string, string>, key: string, value: string) => void (carrier[key] = value),
};
const recordGetter = {
  get: (carrier: Record<string, string>, key: string) => carrier[key],
  keys: (carrier: Record<string, string>) => Object.keys(carrier),
};

/**
 * Adds the trace context of `span` (or, without one, of the active span: the HTTP request's)
 * to `headers` and returns them. Tracing off, `headers` come back untouched.
 */
export function withTraceContext(
  tracing: Tracing,
  headers: Record<string, string>,
  span?: Span,
): Record<string, string> {
  if (!tracing.enabled) return headers;
  const ctx = span ? trace.setSpan(ROOT_CONTEXT, span) : context.active();
  tracing.inject(ctx, headers, recordSetter);
  return headers;
}

/** The context a message's headers carry, to continue its trace; the root when they carry none. */
export function traceContextOf(tracing: Tracing, headers: Record<string, string>): Context {
  return tracing.extract(ROOT_CONTEXT, headers, recordGetter);
}

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The trace id a W3C traceparent names; undefined for none or a malformed one. */
export function traceIdOf(traceparent: string | null | undefined): string | undefined {
  return traceparent ? TRACEPARENT.exec(traceparent)?.[1] : undefined;
}
