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
    try {
      const outcome = await running?.stop();
      // Non-zero when work was abandoned at SHUTDOWN_TIMEOUT_MS (it is redelivered and deduplicated).
      process.exit(outcome && !outcome.drained ? 1 : 0);
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
        if (stopping) void service.stop();
      },
      (err: unknown) => {
        console.error(err instanceof ConfigError ? err.message : `${(err as Error).message ?? err}`);
        process.exit(1);
      },
    );
}
