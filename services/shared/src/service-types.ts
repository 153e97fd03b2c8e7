// The shapes of the service runtime: what a service is given (AppContext), what it defines
// (ServiceDefinition) and what a started one offers (RunningService).
import type { DestinationStream } from 'pino';
import type { EventCodec } from './codec';
import type { ServiceConfig } from './config';
import type { Handlers, TransactionRunner } from './consumer';
import type { Db } from './db';
import type { Router } from './http';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import type { StopOutcome } from './shutdown';
import type { Tracing, TracingOptions } from './tracing';
import type { EventName, ServiceName } from './topics';

export interface AppContext {
  config: ServiceConfig;
  logger: Logger;
  metrics: Metrics;
  db: Db;
  codec: EventCodec;
  /** Runs a transaction that may write outbox rows; the runtime publishes them once it commits. */
  transaction: TransactionRunner;
  tracing: Tracing;
}

export interface ServiceDefinition {
  name: ServiceName;
  /**
   * The directory of the service's own migrations (`<timestamp>_<name>.sql`, usually
   * `join(__dirname, 'migrations')`); the runtime's (outbox, inbox) join them in one history.
   */
  migrations?: string;
  /** Reference data written after the migrations at every start; must be idempotent. */
  seed?: (db: Db) => Promise<void>;
  produces: EventName[];
  handlers: (app: AppContext) => Handlers;
  routes?: (router: Router, app: AppContext) => void;
  /** Routes anyone may call without a token, as "METHOD /path". */
  publicRoutes?: string[];
}

export type Lifecycle = 'starting' | 'running' | 'stopping' | 'stopped';

export interface RunningService {
  readonly name: ServiceName;
  readonly url: string;
  /** Where /health/* and /metrics are served: `url`, or the ADMIN_PORT listener. */
  readonly adminUrl: string;
  readonly app: AppContext;
  state(): Lifecycle;
  /** Stops intake, drains in-flight work, commits offsets, closes everything, within
   * SHUTDOWN_TIMEOUT_MS (what is not done by then is abandoned and named). Safe to call twice. */
  stop(): Promise<StopOutcome>;
}

export interface StartOptions {
  /** Where log lines go (stdout by default); tests read logs from a stream. */
  logDestination?: DestinationStream;
  tracing?: TracingOptions;
  /**
   * Contract versions to read with instead of the repository's, for events the service consumes
   * and does not produce (what it produces is what it registers): an instance upgraded to the
   * next version of an event before its producers, as the rolling-upgrade rehearsal starts one.
   */
  readers?: Partial<Record<EventName, ReaderContract>>;
}

/** One version of an event's contract: the Avro schema read with, the JSON Schema checked. */
export interface ReaderContract {
  avro: object;
  json: object;
}
