// `npm run register-schemas`: every event's schema under its subject, at its level.
import { loadAvroSchema } from '../../services/shared/src/contracts/avro';
import { levelOf, readCompatibilityConfig } from '../../services/shared/src/contracts/levels';
import {
  ensureSubject,
  SchemaRejectedError,
  type SubjectOutcome,
} from '../../services/shared/src/contracts/register';
import { SchemaRegistryClient, type RegistryConfig } from '../../services/shared/src/contracts/registry';
import { EVENT_NAMES, subjectOf } from '../../services/shared/src/topics';
import { CliError, formatTable } from './repo';

export interface RegisterOptions {
  root: string;
  registry: RegistryConfig;
  prefix: string;
  dryRun: boolean;
}

export async function registerCommand(options: RegisterOptions): Promise<SubjectOutcome[]> {
  const client = new SchemaRegistryClient(options.registry);
  const config = readCompatibilityConfig(options.root);
  const outcomes: SubjectOutcome[] = [];
  const rejections: string[] = [];
  for (const event of EVENT_NAMES) {
    const subject = subjectOf(event, options.prefix);
    const level = levelOf(config, event);
    try {
      const schema = loadAvroSchema(event, options.root);
      outcomes.push(await ensureSubject(client, subject, schema, level, { dryRun: options.dryRun }));
    } catch (error) {
      if (!(error instanceof SchemaRejectedError)) throw error;
      rejections.push(`${subject}: ${error.reason}`);
      outcomes.push({ subject, level, isNew: false });
    }
  }
  printTable(outcomes, options.dryRun, rejections);
  if (rejections.length) {
    throw new CliError(`The registry rejected ${rejections.length} schema(s):\n  ${rejections.join('\n  ')}`);
  }
  return outcomes;
}

function printTable(outcomes: SubjectOutcome[], dryRun: boolean, rejections: string[]): void {
  const rejected = new Set(rejections.map((r) => r.slice(0, r.indexOf(': '))));
  const rows = [
    ['subject', 'level', 'version', 'id', 'new?'],
    ...outcomes.map((o) => [
      o.subject,
      o.level,
      o.version === undefined ? '-' : String(o.version),
      o.id === undefined ? '-' : String(o.id),
      rejected.has(o.subject) ? 'REJECTED' : o.isNew ? (dryRun ? 'would register' : 'yes') : 'no',
    ]),
  ];
  console.log(formatTable(rows));
  if (dryRun)
    console.log(
      "(dry run: nothing registered, no level changed; tested at each subject's current level in the registry)",
    );
}
