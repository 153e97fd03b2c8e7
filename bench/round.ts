// One round of one pipeline: intake alone, then the platform (open-loop rates, one order at a
// time, closed loop, correctness), then each worker draining a backlog. Every prefix it
// created is cleaned up afterwards, whatever happened.
import type { Harness } from './harness';
import type { Pipeline } from './pipelines';
import { progress } from './progress';
import type { PipelineRound } from './results';
import { correctnessPhase } from './phases/correctness';
import { drainPhase } from './phases/drains';
import { Instances } from './phases/instances';
import { intakePhase } from './phases/intake';
import { oneAtATimePhase } from './phases/one-at-a-time';
import { ratesPhase } from './phases/rates';
import { throughputPhase } from './phases/throughput';

export async function pipelineRound(
  h: Harness,
  p: Pipeline,
  index: number,
  label: string,
): Promise<PipelineRound> {
  const id = `b${h.runTag}${index}${p.name[0]}`;
  const result = { e2e: {}, drains: {}, rss: { idle: {}, peak: {} } } as unknown as PipelineRound;
  const prefixes: string[] = [];
  try {
    await h.withProducer(async () => {
      await intakePhase(h, p, `${id}i-`, result, label, prefixes);
      const instances = new Instances(h, p, `${id}p`, result, prefixes);
      try {
        await ratesPhase(h, p, instances, result, label);
        await oneAtATimePhase(h, p, instances, result, label);
        await throughputPhase(h, p, instances, result, label);
        await correctnessPhase(p, instances, result, label);
      } finally {
        await instances.close();
      }
      await drainPhase(h, p, id, result, label, prefixes);
    });
  } finally {
    for (const prefix of prefixes)
      await p
        .cleanup(prefix)
        .catch((e: unknown) => progress(`cleanup of ${prefix} failed: ${(e as Error).message}`));
  }
  return result;
}
