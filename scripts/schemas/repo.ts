// Where contract files live under a root directory. Every subcommand takes --root so tests
// can run the real CLI against a copy of the repository's schemas.
import { join } from 'node:path';
import { REPO_ROOT } from '../../services/shared/src/root';

/** This repository's root, also when run compiled from dist/. */
export const DEFAULT_ROOT = REPO_ROOT;

export interface Repo {
  root: string;
  schemasDir: string;
  requestsDir: string;
  avroDir: string;
  historyDir: string;
  lockFile: string;
  generatedTs: string;
  /** Documents generated from the contracts (AsyncAPI, OpenAPI, the event catalogue). */
  docsDir: string;
}

export function repoAt(root: string): Repo {
  return {
    root,
    schemasDir: join(root, 'schemas'),
    requestsDir: join(root, 'schemas', 'requests'),
    avroDir: join(root, 'avro'),
    historyDir: join(root, 'avro', 'history'),
    lockFile: join(root, 'avro', 'history', 'lock.json'),
    generatedTs: join(root, 'services', 'shared', 'src', 'contracts', 'events.generated.ts'),
    docsDir: join(root, 'docs'),
  };
}

/** An error a subcommand reports to the user; the CLI prints it and exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Rows as aligned columns (the first row is the header). */
export function formatTable(rows: string[][]): string {
  const widths = (rows[0] ?? []).map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((row) =>
      row
        .map((cell, c) => cell.padEnd(widths[c] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
