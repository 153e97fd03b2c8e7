// What the operator commands share: their settings from the environment (with the services'
// names, defaults and checks), prefixed names, a Kafka client that logs to stderr (stdout is
// the command's output), a decoder for every event, and one way to end with an error.
import type { IHeaders, Kafka } from 'kafkajs';
import {
  ConfigError,
  EVENT_NAMES,
  EventCodec,
  SchemaRegistryClient,
  avroTypeOf,
  createKafka,
  createLogger,
  loadAvroSchema,
  type Env,
} from '../../services/shared/src';
import { readCommandConfig, type CommandConfig } from '../config';

/** KAFKA_*, SCHEMA_REGISTRY_*, TOPIC_PREFIX and LOG_LEVEL, as every command reads them. */
export type OpsConfig = CommandConfig;

export function readOpsConfig(source: Env): OpsConfig {
  return readCommandConfig(source);
}

/** A topic or group name under the prefix; a name that already carries it is left alone. */
export function withPrefix(name: string, prefix: string): string {
  return prefix && !name.startsWith(prefix) ? `${prefix}${name}` : name;
}

/** A Kafka client whose own log lines (warnings and worse) go to stderr. */
export function kafkaFor(config: OpsConfig, command: string): Kafka {
  const level = ['info', 'debug', 'trace'].includes(config.logLevel) ? 'warn' : config.logLevel;
  const logger = createLogger({ service: command, level, destination: process.stderr });
  return createKafka(config.kafka, `orderflow-${command}`, logger);
}

/** Decodes any orderflow event through the registry (reads only; it writes nothing). */
export function eventDecoder(config: OpsConfig): EventCodec {
  const registry = new SchemaRegistryClient(config.registry);
  return new EventCodec({
    source: { schemaById: (id) => registry.schemaById(id) },
    parse: avroTypeOf,
    readerSchemas: new Map(EVENT_NAMES.map((event) => [event, loadAvroSchema(event)])),
    writerIds: new Map(),
  });
}

export function headersAsText(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) out[name] = (Array.isArray(value) ? value : [value]).map(String).join(',');
  }
  return out;
}

/** A mistake in how the command was called: printed with the usage, exit code 2. */
export class UsageError extends Error {}

/** Runs a command's main: a usage or configuration problem exits 2, any other failure 1. */
export function runCommand(name: string, usage: string, main: () => Promise<number | void>): void {
  main().then(
    (code) => process.exit(code ?? 0),
    (error: unknown) => {
      if (error instanceof UsageError) console.error(`${error.message}\n${usage}`);
      else if (error instanceof ConfigError) console.error(error.message);
      else console.error(`${name} failed: ${(error as Error).message ?? String(error)}`);
      process.exit(error instanceof UsageError || error instanceof ConfigError ? 2 : 1);
    },
  );
}
