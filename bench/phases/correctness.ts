// Correctness of a round: every accepted order terminal exactly once and (orderflow) finished
// in the pipeline's own state — on the instance still running, then on each abandoned one,
// restarted to finish its backlog.
import { CONFIG } from '../config';
import { correctnessOf, type InstanceOrders } from '../correctness';
import { waitUntil } from '../lib/wait';
import type { Pipeline } from '../pipelines';
import { progress } from '../progress';
import type { PipelineRound } from '../results';
import type { Instance, Instances } from './instances';

export async function correctnessPhase(
  p: Pipeline,
  instances: Instances,
  result: PipelineRound,
  label: string,
): Promise<void> {
  const checked: InstanceOrders[] = [];
  const running = instances.running;
  if (running) {
    checked.push(await check(p, running, false));
    await instances.stop(running);
  }
  for (const instance of instances.abandoned) {
    await instances.resume(instance);
    checked.push(await check(p, instance, true));
    await instances.stop(instance);
  }
  result.correctness = correctnessOf(checked);
  progress(`${label}: correctness ${JSON.stringify(result.correctness)}`);
}

async function check(
  p: Pipeline,
  { watcher, prefix, accepted, overdue }: Instance,
  abandoned: boolean,
): Promise<InstanceOrders> {
  await waitUntil(() => watcher.missing(accepted) === 0, CONFIG.terminalWaitMs, 200);
  return {
    accepted,
    overdue,
    seen: watcher.seen,
    finishedInState: await finishedInState(p, prefix, accepted),
    abandoned,
  };
}

/** How many of `accepted` the pipeline's own state holds as finished, once all are or after 30 s. */
export async function finishedInState(
  p: Pipeline,
  prefix: string,
  accepted: string[],
): Promise<number | undefined> {
  const count = p.finishedInState;
  if (!count) return undefined;
  await waitUntil(async () => (await count(prefix, accepted)) === accepted.length, 30_000, 250);
  return count(prefix, accepted);
}
