// `npm test` needs the real stack for its int and e2e tiers: start it unless it is up
// (a no-op then) or the tests were pointed at another one through the environment. The tests
// then use every broker of the stack (one, or three after `stack:up -- --brokers 3`).
import { ensureBuilt } from '../../scripts/build';

export default async function ensureStack(): Promise<void> {
  ensureBuilt(); // tests that spawn services run the compiled build
  if (process.env.KAFKA_BROKERS || process.env.SCHEMA_REGISTRY_URL) return;
  const { stackUp, stackBrokers } = await import('../../scripts/stack/stack');
  await stackUp();
  process.env.KAFKA_BROKERS = stackBrokers();
}
