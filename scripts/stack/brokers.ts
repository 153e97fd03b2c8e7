// What makes `stack:up -- --brokers 3` stick: the entry points that run against the local stack
// (npm start/up, topics:create, the operator commands, the tests, the bench, the fault suite) take
// KAFKA_BROKERS from it when nothing set it, so every client knows every broker.
import { stackBrokers } from './stack';

/** `env` with KAFKA_BROKERS set to the local stack's brokers unless it was set already. */
export function withStackBrokers(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  if (env.KAFKA_BROKERS) return env;
  return { ...env, KAFKA_BROKERS: stackBrokers() };
}
