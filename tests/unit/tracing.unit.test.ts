// Tracing by OpenTelemetry's standard variables: off by default and then absent (no SDK, no
// middleware); on, a server span per HTTP request that continues the caller's traceparent.
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import {
  createHttpApp,
  createLogger,
  createMetrics,
  listen,
  Router,
  startTracing,
  TRACING_OFF,
  type HttpServer,
  type Tracing,
  withTraceContext,
  tagRequestSpan,
} from '@orderflow/shared';
import { IDP_SETTINGS, problemsOf } from '../support/config-fixtures';
import { readConfig as billingConfig } from '../../services/billing/src/service';

const quiet = createLogger({
  service: 'test',
  destination: new Writable({ write: (_c, _e, done) => done() }),
});

describe('configuration', () => {
  test('with nothing set tracing is off and the service name is the service', () => {
    expect(billingConfig(IDP_SETTINGS).tracing).toEqual({
      exporter: 'none',
      endpoint: undefined,
      serviceName: 'billing',
      sampler: 'parentbased_always_on',
      samplerRatio: 1,
    });
  });

  test('each exporter sends to its own standard variable, OTLP to the collector base URL + /v1/traces', () => {
    const zipkin = billingConfig({
      ...IDP_SETTINGS,
      OTEL_TRACES_EXPORTER: 'zipkin',
      OTEL_EXPORTER_ZIPKIN_ENDPOINT: 'http://zipkin:9411/api/v2/spans',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318',
      OTEL_SERVICE_NAME: 'billing-eu',
    }).tracing;
    expect(zipkin).toMatchObject({ endpoint: 'http://zipkin:9411/api/v2/spans', serviceName: 'billing-eu' });
    const otlp = billingConfig({
      ...IDP_SETTINGS,
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318/',
    });
    expect(otlp.tracing.endpoint).toBe('http://jaeger:4318/v1/traces');
  });

  test('bad tracing values are listed with the other problems, each by name', () => {
    const problems = problemsOf(() =>
      billingConfig({
        ...IDP_SETTINGS,
        PORT: 'x',
        OTEL_TRACES_EXPORTER: 'jaeger',
        OTEL_EXPORTER_ZIPKIN_ENDPOINT: 'zipkin:9411',
        OTEL_TRACES_SAMPLER: 'sometimes',
        OTEL_TRACES_SAMPLER_ARG: '1.5',
      }),
    );
    expect(problems.map((p) => p.split(' ')[0]).sort()).toEqual([
      'OTEL_EXPORTER_ZIPKIN_ENDPOINT',
      'OTEL_TRACES_EXPORTER',
      'OTEL_TRACES_SAMPLER',
      'OTEL_TRACES_SAMPLER_ARG',
      'PORT',
    ]);
  });
});

describe('tracing off', () => {
  test('starts nothing: the no-op tracer, and no span middleware in the HTTP app', async () => {
    const tracing = await startTracing(billingConfig(IDP_SETTINGS).tracing, quiet);
    expect(tracing).toBe(TRACING_OFF);
    const span = tracing.tracer.startSpan('anything');
    expect(span.isRecording()).toBe(false);
    span.end();
    const options = {
      logger: quiet,
      metrics: createMetrics('test'),
      readiness: async () => ({ ready: true, checks: {} }),
    };
    expect(createHttpApp({ ...options, tracing }).middleware.length).toBe(
      createHttpApp(options).middleware.length,
    );
  });

  test('never loads the OpenTelemetry SDK into the process', () => {
    const script = `
      const { startTracing, createLogger } = require('./services/shared/src');
      const { readConfig } = require('./services/billing/src/service');
      startTracing(readConfig({ AUTH_MODE: 'off' }).tracing, createLogger({ service: 'x', level: 'silent' })).then(() => {
        const loaded = Object.keys(require.cache).filter((f) => /@opentelemetry\\/(sdk|core|resources|exporter|context-async)/.test(f));
        console.log(JSON.stringify(loaded));
      });`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual([]);
  });
});

describe('tracing on: a span per HTTP request', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing;
  let server: HttpServer;

  beforeAll(async () => {
    tracing = await startTracing({ ...billingConfig(IDP_SETTINGS).tracing, serviceName: 'web' }, quiet, {
      exporter,
    });
    const router = new Router();
    router.get('/things/:id', (ctx) => void (ctx.body = { id: ctx.params.id }));
    router.get('/writes-an-event', (ctx) => {
      tagRequestSpan(tracing, { 'orderflow.order_id': 'o-1' });
      ctx.body = withTraceContext(tracing, {});
    });
    router.get('/boom', () => {
      throw new Error('kaput');
    });
    const app = createHttpApp({
      logger: quiet,
      metrics: createMetrics('test'),
      readiness: async () => ({ ready: true, checks: {} }),
      router,
      tracing,
    });
    server = await listen(app, '127.0.0.1', 0);
  });
  afterAll(async () => {
    await server.close();
    await tracing.shutdown();
  });
  beforeEach(() => exporter.reset());

  test("a request is a server span named by its route, continuing the caller's traceparent", async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';
    const response = await fetch(`${server.url}/things/42`, {
      headers: { traceparent: `00-${traceId}-${callerSpan}-01` },
    });
    expect(response.status).toBe(200);
    const [span, ...more] = exporter.getFinishedSpans();
    expect(more).toEqual([]);
    expect(span!.name).toBe('GET /things/:id');
    expect(span!.kind).toBe(SpanKind.SERVER);
    expect(span!.spanContext().traceId).toBe(traceId);
    expect(span!.parentSpanContext?.spanId).toBe(callerSpan);
    expect(span!.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.route': '/things/:id',
      'url.path': '/things/42',
      'http.response.status_code': 200,
    });
    expect(span!.resource.attributes['service.name']).toBe('web');
  });

  test("an event written while handling a request stores the request's span as its traceparent; the route tags that span", async () => {
    const rowHeaders = (await (await fetch(`${server.url}/writes-an-event`)).json()) as Record<
      string,
      string
    >;
    const [span] = exporter.getFinishedSpans();
    expect(span!.attributes['orderflow.order_id']).toBe('o-1');
    expect(rowHeaders.traceparent).toBe(`00-${span!.spanContext().traceId}-${span!.spanContext().spanId}-01`);
  });

  test('a request answered 500 is an error span; health probes and scrapes make none', async () => {
    expect((await fetch(`${server.url}/boom`)).status).toBe(500);
    await fetch(`${server.url}/health/live`);
    await fetch(`${server.url}/metrics`);
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(['GET /boom']);
    expect(spans[0]!.status.code).toBe(SpanStatusCode.ERROR);
    expect(spans[0]!.attributes['http.response.status_code']).toBe(500);
  });
});
