// Reads the Dockerfile into its stages and instructions, so tests can check the image it
// builds without a Docker engine.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export interface Instruction {
  op: string;
  args: string;
}

export interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

export function readDockerfile(file = resolve(__dirname, '..', '..', 'Dockerfile')): Stage[] {
  const logical = readFileSync(file, 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, op = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (op.toUpperCase() === 'FROM') {
      const [, from = '', name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args) ?? [];
      stages.push({ from, name, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ op: op.toUpperCase(), args: args.replace(/\s+/g, ' ') });
    }
  }
  return stages;
}

/** COPY's options, sources and destination ("--from=build /app/dist ./dist"). */
export function parseCopy(args: string): { from?: string; sources: string[]; destination: string } {
  const words = args.split(' ');
  const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
  const paths = words.filter((w) => !w.startsWith('--'));
  return { from, sources: paths.slice(0, -1), destination: paths.at(-1)! };
}

/** The paths (relative to /app) the final stage copies in: what the image holds of ours. */
export function copiedIntoImage(stages = readDockerfile()): string[] {
  return stages
    .at(-1)!
    .instructions.filter((i) => i.op === 'COPY')
    .flatMap((i) => {
      const { sources, destination } = parseCopy(i.args);
      const into = destination.replace(/^\.\/?/, '').replace(/\/$/, '');
      // Into the working directory itself: the sources keep their names.
      return into === '' ? sources : [into];
    });
}
