// npm run stack:up [-- --brokers 1|3] [--tracing] | stack:down [-- --wipe] | stack:status
import { stackDown, stackStatus, stackUp, StackError } from './stack';

const USAGE = 'usage: tsx scripts/stack/cli.ts up [--brokers 1|3] [--tracing] | down [--wipe] | status';

/** `--brokers 3` or `--brokers=3`; undefined keeps the stack's last choice. */
function brokersFlag(flags: string[]): number | undefined {
  const at = flags.findIndex((f) => f === '--brokers' || f.startsWith('--brokers='));
  if (at < 0) return undefined;
  const raw = flags[at]!.includes('=') ? flags[at]!.split('=')[1] : flags[at + 1];
  const n = Number(raw);
  if (!Number.isInteger(n))
    throw new StackError(`--brokers needs a number (1 or 3), got ${raw ?? 'nothing'}`);
  return n;
}

async function main(command: string | undefined, flags: string[]): Promise<void> {
  switch (command) {
    case 'up':
      return stackUp({ brokers: brokersFlag(flags), tracing: flags.includes('--tracing') });
    case 'down':
      return stackDown({ wipe: flags.includes('--wipe') });
    case 'status':
      for (const c of await stackStatus()) {
        const state = c.running ? 'running' : 'stopped';
        const how = c.pid ? `pid ${c.pid}` : !c.managed && c.running ? 'external server' : '';
        console.log(`${c.name.padEnd(9)} ${state.padEnd(8)} ${c.url}  ${how}`.trimEnd());
      }
      return;
    default:
      throw new StackError(USAGE);
  }
}

const [command, ...flags] = process.argv.slice(2);
main(command, flags).then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof StackError) {
      console.error(`stack ${command ?? ''}: ${error.message}`);
      if (error.detail) console.error(error.detail.replace(/^/gm, '  | '));
    } else {
      console.error(`stack ${command ?? ''} failed:`, error);
    }
    process.exit(1);
  },
);
