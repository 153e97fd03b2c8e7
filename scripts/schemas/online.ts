// Asking a live registry the same compatibility question the offline checker answers.
import type { AvroSchema } from '../../services/shared/src/contracts/avro';
import type { CompatibilityLevel } from '../../services/shared/src/contracts/levels';
import type { CompatibilityAnswer, SchemaRegistryClient } from '../../services/shared/src/contracts/registry';

/** Registers `history` (oldest first) under a scratch subject, at level NONE so every version is accepted. */
export async function loadHistory(
  client: SchemaRegistryClient,
  subject: string,
  history: AvroSchema[],
): Promise<void> {
  await client.setCompatibility(subject, 'NONE');
  for (const schema of history) await client.register(subject, schema);
}

/** The registry's verdict on `candidate` against the subject's versions at `level`. */
export async function registryVerdict(
  client: SchemaRegistryClient,
  subject: string,
  level: CompatibilityLevel,
  candidate: AvroSchema,
): Promise<CompatibilityAnswer> {
  await client.setCompatibility(subject, level);
  return client.testCompatibility(subject, candidate, level);
}
