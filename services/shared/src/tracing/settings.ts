// What OpenTelemetry's standard variables mean here; config.ts reads them with the rest.
// Kept apart from the SDK so that reading the configuration never loads it.

export const TRACE_EXPORTERS = ['none', 'otlp', 'zipkin', 'console'] as const;

/** OTEL_TRACES_SAMPLER's values (the specification's list, minus the Jaeger remote sampler). */
export const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

export interface TracingConfig {
  /** `none` (the default) starts no SDK at all. */
  exporter: (typeof TRACE_EXPORTERS)[number];
  /** Where spans go: the OTLP/HTTP traces URL or Zipkin's /api/v2/spans; unset for none and console. */
  endpoint?: string;
  /** OTEL_SERVICE_NAME, or the service's own name. */
  serviceName: string;
  sampler: (typeof SAMPLERS)[number];
  /** OTEL_TRACES_SAMPLER_ARG: the ratio of the *traceidratio samplers. */
  samplerRatio: number;
}
