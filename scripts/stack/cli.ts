// npm run stack:up [-- --tracing] | stack:down [-- --wipe] | stack:status
import { stackDown, stackStatus, stackUp, StackError } from './stack';

const USAGE = 'usage: tsx scripts/stack/cli.ts up [--tracing] | down [--wipe] | status';

async function main(command: string | undefined, flags: string[]): Promise<void> {
  switch (command) {
    case 'up':
      return stackUp({ tracing: flags.includes('--tracing') });
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
