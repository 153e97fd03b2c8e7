// Entry of every bench child process: `child.ts <kind> <name> [args...]`.
//   orderflow <service>                   a real orderflow service (start(readConfig(env)))
//   peer <service>                        the typical-demo equivalent (bench/peer.ts)
//   ceiling http | relay <mode> <in> <out> | sink <topic> <count>
// It reports { ready, url } over IPC when it serves, and stops on { stop } or when the
// bench goes away, so no child outlives its bench.
import { SERVICE_NAMES, loadService, type ServiceName } from '@orderflow/shared';

interface Running {
  url?: string;
  stop(): Promise<void>;
}

async function startRole(args: string[]): Promise<Running> {
  const [kind, name, ...rest] = args;
  if (kind === 'orderflow') {
    const module = await loadService(serviceName(name));
    const running = await module.start(module.readConfig(process.env));
    await waitReady(running.url);
    return running;
  }
  if (kind === 'peer') return (await import('./peer')).startPeer(serviceName(name), process.env);
  if (kind === 'ceiling')
    return (await import('./ceiling')).startCeiling(name!, rest, process.env, (m) => process.send?.(m));
  throw new Error(`unknown role ${args.join(' ')}`);
}

function serviceName(name: string | undefined): ServiceName {
  const found = SERVICE_NAMES.find((s) => s === name);
  if (!found) throw new Error(`no service named ${name} in the services table`);
  return found;
}

/** A service counts as started once /health/ready says its consumer joined its group. */
async function waitReady(url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const ok = await fetch(`${url}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} not ready`);
}

let running: Running | undefined;
let stopping = false;
async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  const hard = setTimeout(() => process.exit(code || 1), 20_000);
  hard.unref();
  await running?.stop().catch((e: unknown) => console.error('stop failed:', e));
  process.exit(code);
}

process.on('message', (m: { stop?: boolean }) => m.stop && void stop(0));
process.on('disconnect', () => void stop(0)); // the bench is gone
startRole(process.argv.slice(2)).then(
  (r) => {
    running = r;
    process.send?.({ ready: true, url: r.url });
  },
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
