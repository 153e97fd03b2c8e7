// Prometheus metrics, one registry per service instance (tests run several in one process).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type Metrics = ReturnType<typeof createMetrics>;

export function createMetrics(service: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  // Gauges that need a query are refreshed when scraped, not on a timer.
  let onScrape: (() => Promise<void>) | undefined;

  return {
    registry,
    setScrapeHook(hook: () => Promise<void>) {
      onScrape = hook;
    },
    eventsConsumed: new Counter({
      name: 'orderflow_events_consumed_total',
      help: 'Events handled by this service (duplicates excluded), by topic and record type',
      labelNames: ['topic', 'event_type'],
      registers,
    }),
    eventsProduced: new Counter({
      name: 'orderflow_events_produced_total',
      help: 'Events published to Kafka by the outbox relay, by topic and record type',
      labelNames: ['topic', 'event_type'],
      registers,
    }),
    handlerDuration: new Histogram({
      name: 'orderflow_handler_duration_seconds',
      help: 'Time to handle one event, inside its transaction',
      labelNames: ['event_type'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    handlerFailures: new Counter({
      name: 'orderflow_handler_failures_total',
      help: 'Failed attempts to handle a message, by reason',
      labelNames: ['event_type', 'reason'],
      registers,
    }),
    retries: new Counter({
      name: 'orderflow_retries_total',
      help: 'Retries of a message or batch after a failure',
      labelNames: ['event_type'],
      registers,
    }),
    dlqMessages: new Counter({
      name: 'orderflow_dlq_messages_total',
      help: 'Messages sent to the dead-letter queue, by reason and source topic',
      labelNames: ['topic', 'reason'],
      registers,
    }),
    duplicatesSkipped: new Counter({
      name: 'orderflow_duplicates_skipped_total',
      help: 'Events skipped because they were already handled',
      labelNames: ['event_type'],
      registers,
    }),
    consumerLag: new Gauge({
      name: 'orderflow_consumer_lag_messages',
      help: 'Messages behind the partition high watermark at the last batch',
      labelNames: ['topic', 'partition'],
      registers,
    }),
    outboxBacklog: new Gauge({
      name: 'orderflow_outbox_backlog_messages',
      help: 'Outbox rows written but not yet published',
      registers,
      async collect() {
        await onScrape?.().catch(() => undefined);
      },
    }),
    outboxRelayLag: new Gauge({
      name: 'orderflow_outbox_relay_lag_seconds',
      help: 'Age of the oldest unpublished outbox row',
      registers,
    }),
    httpRequests: new Counter({
      name: 'orderflow_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    }),
    httpDuration: new Histogram({
      name: 'orderflow_http_request_duration_seconds',
      help: 'HTTP request duration by route',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    sagaDuration: new Histogram({
      name: 'orderflow_saga_duration_seconds',
      help: 'From order intake to the saga outcome (shipped, declined or refunded), as seen by orders',
      labelNames: ['outcome'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    registryCalls: new Counter({
      name: 'orderflow_registry_calls_total',
      help: 'Calls to the schema registry, by operation and outcome',
      labelNames: ['operation', 'outcome'],
      registers,
    }),
    schemaCacheHits: new Counter({
      name: 'orderflow_schema_cache_hits_total',
      help: 'Messages decoded with a writer schema already in the cache',
      registers,
    }),
  };
}
