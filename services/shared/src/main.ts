// What every service's main.ts runs: start, stop cleanly on SIGTERM/SIGINT, and turn a
// startup failure into one readable message and exit code 1.
import { ConfigError } from './errors';
import type { RunningService } from './service';

export function runMain(start: () => Promise<RunningService>): void {
  let running: RunningService | undefined;
  let stopping = false;

  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    if (!running) {
      // Startup may be waiting on a dependency that is gone: stop now; whatever it began is
      // uncommitted and is redelivered.
      console.error(`${signal} while starting: startup abandoned`);
      process.exit(1);
    }
    try {
      const outcome = await running.stop();
      // Non-zero when work was abandoned: a stop step failed or outlasted SHUTDOWN_TIMEOUT_MS
      // (uncommitted events are redelivered and deduplicated, outbox rows relayed after a restart).
      process.exit(outcome.drained ? 0 : 1);
    } catch (err) {
      console.error(`error while stopping after ${signal}:`, err);
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('unhandledRejection', (err) => {
    console.error('unhandled promise rejection:', err);
    process.exit(1);
  });

  Promise.resolve()
    .then(start)
    .then(
      (service) => {
        running = service;
      },
      (err: unknown) => {
        console.error(err instanceof ConfigError ? err.message : `${(err as Error).message ?? err}`);
        process.exit(1);
      },
    );
}
