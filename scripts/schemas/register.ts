// `npm run register-schemas`: every event's schema under its subject, at its level; under
// SUBJECT_NAME_STRATEGY=topic, each topic's union after the records it references.
import { readCompatibilityConfig } from '../../services/shared/src/contracts/levels';
import { ensureEventSubjects, type SubjectOutcome } from '../../services/shared/src/contracts/register';
import { SchemaRegistryClient, type RegistryConfig } from '../../services/shared/src/contracts/registry';
import type { SubjectNameStrategy } from '../../services/shared/src/contracts/subjects';
import { EVENT_NAMES } from '../../services/shared/src/topics';
import { CliError, formatTable } from './repo';

export interface RegisterOptions {
  root: string;
  registry: RegistryConfig;
  prefix: string;
  dryRun: boolean;
  /** SUBJECT_NAME_STRATEGY, as the services read it (default `topic-record`). */
  strategy?: SubjectNameStrategy;
}

export async function registerCommand(options: RegisterOptions): Promise<SubjectOutcome[]> {
  const client = new SchemaRegistryClient(options.registry);
  const rejections: string[] = [];
  const { outcomes } = await ensureEventSubjects(client, EVENT_NAMES, {
    strategy: options.strategy ?? 'topic-record',
    prefix: options.prefix,
    compatibility: readCompatibilityConfig(options.root),
    rootDir: options.root,
    dryRun: options.dryRun,
    onRejected: (error) => rejections.push(`${error.subject}: ${error.reason}`),
  });
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
