// `schemas:check`: every current schema against its released history at its subject's level,
// offline by our checker and, given a registry URL, by the live registry too. Any finding,
// or any disagreement between the two, fails.
import { randomBytes } from 'node:crypto';
import { levelOf, readCompatibilityConfig } from '../../services/shared/src/contracts/levels';
import { SchemaRegistryClient, type RegistryConfig } from '../../services/shared/src/contracts/registry';
import type { AvroSchema } from '../../services/shared/src/contracts/avro';
import type { CompatibilityLevel } from '../../services/shared/src/contracts/levels';
import { checkLevel, formatFinding, parseAvro } from './compat';
import { assertNoProblems, buildContracts } from './generate';
import { readHistory, verifyHistory } from './history';
import { loadHistory, registryVerdict } from './online';
import { CliError } from './repo';

export interface CheckOptions {
  root: string;
  /** Registry to ask as well; offline only when undefined. */
  registry?: RegistryConfig;
}

export async function checkCommand(options: CheckOptions): Promise<void> {
  const generation = await buildContracts(options.root);
  assertNoProblems(generation.problems);
  const errors = verifyHistory(options.root).map((p) => `history: ${p}`);
  const config = readCompatibilityConfig(options.root);
  const client = options.registry ? new SchemaRegistryClient(options.registry) : undefined;
  // Scratch subjects for the registry's answer; deleted at the end.
  const scratchPrefix = `schemas-check-${Date.now()}-${randomBytes(3).toString('hex')}.`;

  for (const contract of generation.events) {
    const { subject } = contract;
    const level = levelOf(config, contract.event);
    const history = readHistory(options.root, subject);
    if (history.length === 0) {
      console.log(`${subject} (${level}): no released version yet; release it with npm run schemas:release`);
      continue;
    }
    const findings = checkLevel(
      level,
      parseAvro(contract.avro),
      history.map((h) => parseAvro(h.schema)),
    );
    for (const f of findings) errors.push(`${subject}: ${formatFinding(f)}`);
    const latest = history[history.length - 1];
    const changed = latest?.text !== contract.avroText;
    let verdict = findings.length ? 'INCOMPATIBLE' : changed ? 'compatible, unreleased changes' : 'unchanged';

    if (client) {
      const online = await askRegistry(
        client,
        scratchPrefix + subject,
        level,
        history.map((h) => h.schema),
        contract.avro,
      );
      if (online.compatible !== (findings.length === 0)) {
        errors.push(
          `${subject}: offline and registry disagree at ${level}: offline says ${
            findings.length ? 'incompatible' : 'compatible'
          }, the registry says ${online.compatible ? 'compatible' : `incompatible (${online.messages.join('; ')})`}`,
        );
      }
      verdict += `; registry: ${online.compatible ? 'compatible' : 'incompatible'}`;
    }
    console.log(`${subject} (${level}, ${history.length} released): ${verdict}`);
  }

  if (errors.length) {
    throw new CliError(
      `schemas:check failed (${errors.length} finding(s)):\n${errors.map((e) => `  ${e}`).join('\n')}`,
    );
  }
  console.log(`schemas:check passed${client ? ` (offline and ${client.url})` : ' (offline)'}.`);
}

/**
 * The registry's answer to the same question: the released history under a scratch subject
 * (level NONE while loading it), then the subject's level, then a compatibility test
 * against the versions that level compares with.
 */
async function askRegistry(
  client: SchemaRegistryClient,
  scratchSubject: string,
  level: CompatibilityLevel,
  history: AvroSchema[],
  candidate: AvroSchema,
): Promise<{ compatible: boolean; messages: string[] }> {
  try {
    await loadHistory(client, scratchSubject, history);
    return await registryVerdict(client, scratchSubject, level, candidate);
  } finally {
    await client.deleteSubject(scratchSubject).catch((error: Error) => {
      console.warn(`warning: could not delete scratch subject ${scratchSubject}: ${error.message}`);
    });
  }
}
