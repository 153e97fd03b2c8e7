// What `npm start` and `npm run up` (run.ts) run against the local stack, planned from the same
// settings `stack:up` reads (scripts/stack/settings.ts: ORDERFLOW_KAFKA_SASL, ORDERFLOW_KAFKA_ACLS,
// ...): the commands that prepare it, and each service instance's environment. On a broker that
// authorizes by ACLs the admin prepares (topics, ACLs) and every service logs in as its own
// principal, User:orderflow-<service>, as it would in a deployment.
import { localAuthEnv } from './auth/local';
import type { Instance } from './instances';
import { adminKafkaLogin, serviceKafkaLogin } from './stack/principals';
import { withStackBrokers } from './stack/brokers';
import { readSettings } from './stack/settings';
import { zipkinExportEnv } from './stack/zipkin';

/** One `npm run` of the preparation: the script, its arguments and what it adds to the environment. */
export interface PrepareStep {
  script: string;
  args: string[];
  env: Record<string, string>;
}

export function prepareSteps(env: NodeJS.ProcessEnv = process.env): PrepareStep[] {
  const { kafka } = readSettings(env);
  const admin = adminKafkaLogin(kafka, env);
  return [
    { script: 'stack:up', args: [], env: {} },
    { script: 'topics:create', args: [], env: admin },
    // Without them every service would be refused everything: deny unless an ACL allows.
    ...(kafka.acls ? [{ script: 'kafka:acls', args: ['--apply'], env: admin }] : []),
    { script: 'register-schemas', args: [], env: {} },
  ];
}

/** The environment of one service instance: the shell's, then what the local stack implies. */
export function serviceEnv(instance: Instance, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    ...localAuthEnv(),
    ...withStackBrokers(env),
    // After `stack:up -- --tracing`, spans go to the stack's Zipkin with nothing more to set.
    ...zipkinExportEnv(env),
    ...serviceKafkaLogin(readSettings(env).kafka, instance.service),
    PORT: String(instance.port),
  };
}
