// The stack a bench tool measures against: Kafka, the registry and PostgreSQL from the
// environment or the local stack, refused unless on this machine (a load must never reach a
// shared server), with a token issuer whose settings the services get too.
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import { DEFAULTS } from '@orderflow/shared';
import { generateIssuerKey, startIssuer, type RunningIssuer } from '../../scripts/auth/issuer';
import { withStackBrokers } from '../../scripts/stack/brokers';
import { CUSTOMERS, useCustomerTokens } from '../orders';
import type { StackEnv } from '../pipelines';

export interface BenchStack {
  /** What every service of a pipeline gets: brokers, registry, database and the issuer's settings. */
  env: StackEnv;
  kafka: Kafka;
  pool: Pool;
  issuer: RunningIssuer;
}

export async function benchStack(clientId: string): Promise<BenchStack> {
  const issuer = await startIssuer(await generateIssuerKey());
  issuer.unref();
  const env: StackEnv = {
    KAFKA_BROKERS: withStackBrokers().KAFKA_BROKERS!,
    SCHEMA_REGISTRY_URL: process.env.SCHEMA_REGISTRY_URL ?? DEFAULTS.SCHEMA_REGISTRY_URL,
    DATABASE_URL: process.env.DATABASE_URL ?? DEFAULTS.DATABASE_URL,
    ...issuer.serviceEnv(),
  };
  for (const url of [env.SCHEMA_REGISTRY_URL, env.DATABASE_URL, `tcp://${env.KAFKA_BROKERS.split(',')[0]}`]) {
    const host = new URL(url).hostname;
    if (host !== '127.0.0.1' && host !== 'localhost')
      throw new Error(`the bench only runs against a stack on this machine, not ${host}`);
  }
  const kafka = new Kafka({
    clientId,
    brokers: env.KAFKA_BROKERS.split(','),
    // kafkajs logs each retried metadata miss on a just-created topic as an ERROR line in the
    // middle of the progress output; a failure that matters reaches the bench as a rejection.
    logLevel: logLevel.NOTHING,
  });
  return { env, kafka, pool: new Pool({ connectionString: env.DATABASE_URL, max: 2 }), issuer };
}

/** Auth on, as deployed: every request carries its customer's token, verified by orders. */
export async function mintCustomerTokens(issuer: RunningIssuer): Promise<void> {
  useCustomerTokens(
    await Promise.all(
      Array.from({ length: CUSTOMERS }, async (_, n) => {
        const token = await issuer.mint({ subject: `c-${n}`, expiresInSeconds: 24 * 3600 });
        return `Bearer ${token}`;
      }),
    ),
  );
}
