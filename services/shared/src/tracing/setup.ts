// Starts OpenTelemetry's trace SDK for one service, or nothing at all when tracing is off.
//
// Each service gets a provider of its own instead of the global one, because tests (and the
// bench) run all five services in one process and each must report under its own name; the
// runtime hands each part its service's tracer. What is process-wide is registered once: the
// context manager (which span is active) and the W3C propagator (so any library that
// propagates through the API speaks traceparent too).
// The SDK is loaded on demand: with OTEL_TRACES_EXPORTER=none it is never even imported, and
// every span call goes to the API's no-op tracer.
import {
  context,
  propagation,
  trace,
  type Context,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
} from '@opentelemetry/api';
import type { Sampler, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Logger } from '../logger';
import type { TracingConfig } from './settings';

export interface Tracing {
  readonly enabled: boolean;
  readonly tracer: Tracer;
  /** Reads W3C trace context (traceparent, tracestate) from headers into `parent`. */
  extract<C>(parent: Context, carrier: C, getter: TextMapGetter<C>): Context;
  /** Writes the span of `ctx` into headers as W3C trace context. */
  inject<C>(ctx: Context, carrier: C, setter: TextMapSetter<C>): void;
  /** Flushes spans not yet exported; safe to call twice. */
  shutdown(): Promise<void>;
}

/** Tracing off: the API's no-op tracer (no global provider is ever registered) and no propagation. */
export const TRACING_OFF: Tracing = {
  enabled: false,
  tracer: trace.getTracer('orderflow'),
  extract: (parent) => parent,
  inject: () => undefined,
  shutdown: async () => undefined,
};

export interface TracingOptions {
  /** Replaces the configured exporter (tests collect spans in memory with it). */
  exporter?: SpanExporter;
}

export async function startTracing(
  config: TracingConfig,
  logger: Logger,
  options: TracingOptions = {},
): Promise<Tracing> {
  if (config.exporter === 'none' && !options.exporter) return TRACING_OFF;
  const [base, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/resources'),
  ]);
  await registerProcessWide();
  const exporter = options.exporter ?? (await exporterFor(config, base));
  const processor =
    config.exporter === 'console' || options.exporter
      ? new base.SimpleSpanProcessor(exporter)
      : new base.BatchSpanProcessor(exporter, { scheduledDelayMillis: 1_000 });
  const provider = new base.BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName }),
    sampler: samplerFor(config, base),
    spanProcessors: [processor],
  });
  logger.info(
    { exporter: config.exporter, endpoint: config.endpoint, sampler: config.sampler },
    `tracing on as ${config.serviceName}`,
  );
  let shutdown: Promise<void> | undefined;
  return {
    enabled: true,
    tracer: provider.getTracer('orderflow'),
    extract: (parent, carrier, getter) => propagation.extract(parent, carrier, getter),
    inject: (ctx, carrier, setter) => propagation.inject(ctx, carrier, setter),
    shutdown: () => (shutdown ??= provider.shutdown()),
  };
}

let processWide: Promise<void> | undefined;

/**
 * The context manager (spans started inside an async call chain nest under its span) and the
 * W3C trace-context propagator, once per process: services started side by side share them.
 */
function registerProcessWide(): Promise<void> {
  return (processWide ??= (async () => {
    const [{ AsyncLocalStorageContextManager }, { W3CTraceContextPropagator }] = await Promise.all([
      import('@opentelemetry/context-async-hooks'),
      import('@opentelemetry/core'),
    ]);
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  })());
}

type Sdk = typeof import('@opentelemetry/sdk-trace-base');

async function exporterFor(config: TracingConfig, base: Sdk): Promise<SpanExporter> {
  switch (config.exporter) {
    case 'otlp': {
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
      return new OTLPTraceExporter({ url: config.endpoint });
    }
    case 'zipkin': {
      const { ZipkinExporter } = await import('@opentelemetry/exporter-zipkin');
      return new ZipkinExporter({ url: config.endpoint, serviceName: config.serviceName });
    }
    case 'console':
      return new base.ConsoleSpanExporter();
    case 'none':
      throw new Error('no exporter for tracing off');
  }
}

function samplerFor({ sampler, samplerRatio }: TracingConfig, base: Sdk): Sampler {
  switch (sampler) {
    case 'always_on':
      return new base.AlwaysOnSampler();
    case 'always_off':
      return new base.AlwaysOffSampler();
    case 'traceidratio':
      return new base.TraceIdRatioBasedSampler(samplerRatio);
    case 'parentbased_always_on':
      return new base.ParentBasedSampler({ root: new base.AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new base.ParentBasedSampler({ root: new base.AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new base.ParentBasedSampler({ root: new base.TraceIdRatioBasedSampler(samplerRatio) });
  }
}
