// The event-contract CLI. npm scripts call it:
//   schemas:generate [-- --check]   schemas/*.json → avro/*.avsc + TypeScript types
//   schemas:check                   current schemas against released history (and the registry)
//   schemas:release                 append changed, compatible schemas to avro/history
//   register-schemas                register every schema, set levels, print a table
// and one stable command for a single pair:
//   npx tsx scripts/schemas.ts compat --level <LEVEL> <old.avsc> <new.avsc>   (exit 0 / 1 / 2)
// generate, check and release are loaded only when run: they need dev tools (prettier, yaml)
// that the production image, which runs `register` compiled, does not ship.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { COMPATIBILITY_LEVELS, isCompatibilityLevel } from '../services/shared/src/contracts/levels';
import type { RegistryConfig } from '../services/shared/src/contracts/registry';
import { readCommandConfig, registryUrlGiven } from './config';
import { checkLevel, formatFinding, parseAvro } from './schemas/compat';
import { registerCommand } from './schemas/register';
import { CliError, DEFAULT_ROOT } from './schemas/repo';

const USAGE = `usage: tsx scripts/schemas.ts <command> [options]
  generate [--check] [--root DIR]
  check    [--root DIR] [--url URL]          (the registry too when SCHEMA_REGISTRY_URL or --url is set)
  release  [--root DIR]
  register [--root DIR] [--url URL] [--prefix P] [--dry-run]   (P defaults to TOPIC_PREFIX, as the services use it)
  compat   --level <${COMPATIBILITY_LEVELS.join('|')}> <old.avsc> <new.avsc>`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        root: { type: 'string' },
        url: { type: 'string' },
        prefix: { type: 'string' },
        level: { type: 'string' },
        check: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
      },
    });
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n${USAGE}`, 2);
  }
  const { values, positionals } = parsed;
  const root = resolve(values.root ?? DEFAULT_ROOT);
  const expectPositionals = (n: number) => {
    if (positionals.length !== n)
      throw new CliError(`unexpected arguments: ${positionals.join(' ')}\n${USAGE}`, 2);
  };

  switch (command) {
    case 'generate':
      expectPositionals(0);
      return (await import('./schemas/generate')).generateCommand(root, values.check === true);
    case 'check':
      expectPositionals(0);
      return (await import('./schemas/check')).checkCommand({
        root,
        registry: values.url || registryUrlGiven(process.env) ? registryOf(values.url) : undefined,
      });
    case 'release':
      expectPositionals(0);
      return (await import('./schemas/history')).releaseCommand(root);
    case 'register':
      expectPositionals(0);
      await registerCommand({
        root,
        registry: registryOf(values.url),
        prefix: values.prefix ?? readCommandConfig(process.env).prefix,
        dryRun: values['dry-run'] === true,
        strategy: readCommandConfig(process.env).subjectStrategy,
      });
      return;
    case 'compat':
      return compat(values.level, positionals);
    default:
      throw new CliError(command ? `unknown command "${command}"\n${USAGE}` : USAGE, 2);
  }
}

/** The registry as every command reads it (credentials, `_FILE`); --url replaces only the URL. */
function registryOf(url: string | undefined): RegistryConfig {
  const { registry } = readCommandConfig(process.env);
  return url ? { ...registry, url } : registry;
}

function compat(level: string | undefined, files: string[]): void {
  if (!isCompatibilityLevel(level)) {
    throw new CliError(`--level must be one of ${COMPATIBILITY_LEVELS.join(', ')}\n${USAGE}`, 2);
  }
  if (files.length !== 2) throw new CliError(`compat takes two files: <old.avsc> <new.avsc>\n${USAGE}`, 2);
  const [older, newer] = files.map((file) => {
    try {
      return parseAvro(JSON.parse(readFileSync(file, 'utf8')));
    } catch (error) {
      throw new CliError(`${file}: not a valid Avro schema: ${(error as Error).message}`, 2);
    }
  });
  const findings = checkLevel(level, newer!, [older!], ['the old schema']);
  if (findings.length) {
    for (const f of findings) console.log(formatFinding(f));
    throw new CliError(`incompatible at ${level} (${findings.length} finding(s))`, 1);
  }
  console.log(`compatible at ${level}`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof CliError) {
    console.error(error.message);
    process.exit(error.exitCode);
  }
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
