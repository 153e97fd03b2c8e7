// The settings of every command: topics:create, register-schemas, schemas:check and the
// operator commands. They are read by the services' own reader, so a command takes the same
// variables as a service, with the same defaults, checks, TLS, SASL and `NAME_FILE` secrets.
import { loadServiceConfig, type Env, type KafkaConfig } from '../services/shared/src/config';
import type { RegistryConfig } from '../services/shared/src/contracts/registry';
import type { SubjectNameStrategy } from '../services/shared/src/contracts/subjects';

export interface CommandConfig {
  kafka: KafkaConfig;
  registry: RegistryConfig;
  subjectStrategy: SubjectNameStrategy;
  prefix: string;
  logLevel: string;
}

export function readCommandConfig(source: Env): CommandConfig {
  const { kafka, registry, prefix, logLevel } = loadServiceConfig('command', 0, {}, source);
  const { url, username, password, subjectStrategy } = registry;
  return {
    kafka,
    registry: { url, auth: username && password ? { username, password } : undefined },
    subjectStrategy,
    prefix,
    logLevel,
  };
}

/** Whether the registry's URL was given at all (schemas:check asks a registry only then). */
export function registryUrlGiven(source: Env): boolean {
  return Boolean(source.SCHEMA_REGISTRY_URL || source.SCHEMA_REGISTRY_URL_FILE);
}
