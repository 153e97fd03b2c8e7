// Each worker alone, draining a pre-filled backlog: messages/s and CPU-ms per 1,000.
import { CONFIG } from '../config';
import type { Harness } from '../harness';
import { prefill, topicCount } from '../lib/kafka';
import { cpuMark } from '../lib/os';
import { waitUntil } from '../lib/wait';
import type { Pipeline } from '../pipelines';
import { fmt, progress } from '../progress';
import type { PipelineRound } from '../results';

type Mark = { count: number; mark: ReturnType<typeof cpuMark> };

export async function drainPhase(
  h: Harness,
  p: Pipeline,
  id: string,
  result: PipelineRound,
  label: string,
  prefixes: string[],
): Promise<void> {
  const names = p.drainNames.slice(0, p.name === 'ceiling' ? 3 : CONFIG.drains);
  for (const [k, name] of names.entries()) {
    const prefix = `${id}d${k}-`;
    prefixes.push(prefix);
    await p.prepare(prefix);
    // The raw loops are much faster: a bigger backlog keeps their measurement window long enough.
    const n = CONFIG.drainCount * (name === 'consume-only' ? 20 : name === 'relay-batch' ? 4 : 1);
    const spec = await p.drain(prefix, name, n);
    await prefill(h.producer, spec.input, spec.messages);
    const admin = h.kafka.admin();
    await admin.connect();
    const [child] = h.track([await spec.start()]);
    try {
      let first: Mark | undefined;
      let last: Mark | undefined;
      if (spec.output) {
        const output = spec.output;
        await waitUntil(
          async () => {
            const count = await topicCount(admin, output);
            if (!first && count > 0) first = { count, mark: cpuMark(child!.pid) };
            if (first) last = { count, mark: cpuMark(child!.pid) };
            return (
              count >= n || (first !== undefined && performance.now() - first.mark.at > CONFIG.drainMaxMs)
            );
          },
          120_000,
          50,
        );
      } else {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 120_000);
          child!.onMessage((m) => {
            if (m.first) first = { count: Number(m.seen), mark: cpuMark(child!.pid) };
            if (m.done) {
              last = { count: Number(m.seen), mark: cpuMark(child!.pid) };
              clearTimeout(timer);
              resolve();
            }
          });
        });
      }
      if (!first || !last || last.count <= first.count)
        throw new Error(`${label}: ${name} drained nothing measurable`);
      const measured = Math.min(n, last.count) - first.count;
      const seconds = (last.mark.at - first.mark.at) / 1000;
      const d = {
        msgsPerSec: measured / seconds,
        cpuMsPer1k: (last.mark.process - first.mark.process) / (measured / 1000),
        machineCpuMsPer1k: (last.mark.machine - first.mark.machine) / (measured / 1000),
        measured,
      };
      result.drains[name] = d;
      progress(
        `${label}: drain ${name} ${fmt(d.msgsPerSec)} msg/s, ${fmt(d.cpuMsPer1k, 1)} CPU-ms/1k (machine ${fmt(d.machineCpuMsPer1k, 1)}) over ${measured} msgs`,
      );
    } finally {
      await child!.stop();
      await admin.disconnect();
    }
  }
}
