// Defaults shared by the services' config, the local stack and docker-compose's test:
// with nothing set, a service finds the stack that `npm run stack:up` started.
import { SERVICES, mapServices } from './services';

export const STACK_VERSIONS = {
  kafka: '3.9.1',
  apicurioRegistry: '3.3.3',
};

export const DEFAULT_PORTS = {
  kafka: 9092,
  kafkaController: 9093,
  registry: 8081,
  postgres: 5432,
  ...mapServices((service) => SERVICES[service].port),
  /** The local stack's token issuer (scripts/auth): its JWKS for the services, tokens for you. */
  issuer: 3009,
};

export const DEFAULTS = {
  KAFKA_BROKERS: `127.0.0.1:${DEFAULT_PORTS.kafka}`,
  SCHEMA_REGISTRY_URL: `http://127.0.0.1:${DEFAULT_PORTS.registry}/apis/ccompat/v7`,
  DATABASE_URL: `postgres://postgres:postgres@127.0.0.1:${DEFAULT_PORTS.postgres}/orderflow`,
};

/**
 * Node's flags for every service process. A 4 MB young generation (Node's default is 16 MB)
 * kept the workers' RSS peaks ~20 MB lower in the bench, with no throughput lost
 * (docs/benchmarks.md).
 */
export const SERVICE_NODE_FLAGS = ['--max-semi-space-size=4'];

/**
 * orders holds a closed loop's requests in flight (128 connections in the bench) across several
 * 4 MB scavenges, so they were promoted and the old generation grew to ~100 MB between full
 * collections (RSS peak ~190 MB). A 16 MB young generation lets most of them die young, and a
 * fixed 50 % heap growth (V8's own factor reached 4×) bounds the old generation between
 * collections (bench/intake-ab.ts; docs/benchmarks.md).
 */
const ORDERS_NODE_FLAGS = ['--max-semi-space-size=16', '--heap-growing-percent=50'];

/** Node's flags for one service's process. */
export function serviceNodeFlags(service: string): string[] {
  return service === 'orders' ? ORDERS_NODE_FLAGS : SERVICE_NODE_FLAGS;
}

/**
 * How a service process starts, from the repository root: npm start, docker-compose, the fault
 * suite. It runs the compiled build (`npm run build` into dist/), not TypeScript through tsx.
 */
export function serviceCommand(service: string): string[] {
  return [...serviceNodeFlags(service), `dist/services/${service}/src/main.js`];
}
