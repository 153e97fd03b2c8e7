// Sending orders to a pipeline: over HTTP to its intake, or straight to its first topic when
// it has none (the ceiling), with the same order bodies either way.
import { closedLoop, openLoop, type LoadResult } from './lib/load';
import { produceAtRate, type OutMessage } from './lib/kafka';
import type { Child } from './lib/procs';
import { latencyHistogram } from './lib/stats';
import { CONFIG } from './config';
import type { Harness } from './harness';
import { nextRequest } from './orders';
import { ceilingMessage, type Pipeline } from './pipelines';

const nextMessage = (): OutMessage => ceilingMessage(nextRequest());

/** One order, over HTTP (answered 201) or straight to Kafka; its id. */
export async function sendOne(
  h: Harness,
  p: Pipeline,
  prefix: string,
  intake: Child | undefined,
): Promise<string> {
  if (!intake) {
    const message = nextMessage();
    await h.producer.send({ topic: p.directInput!(prefix), acks: -1, messages: [message] });
    return message.key;
  }
  const request = nextRequest();
  const response = await fetch(`${intake.url!}/orders`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(request.authorization ? { authorization: request.authorization } : {}),
    },
    body: request.body,
  });
  await response.arrayBuffer();
  if (response.status !== 201) throw new Error(`${p.name} answered ${response.status} to one order`);
  return request.orderId;
}

/** Orders at `rate` (open loop) or as fast as possible (closed loop), over HTTP or straight to Kafka. */
export async function drive(
  h: Harness,
  p: Pipeline,
  prefix: string,
  intake: Child | undefined,
  rate: number | 'max',
  ms: number,
): Promise<LoadResult> {
  if (intake)
    return rate === 'max'
      ? closedLoop(intake.url!, nextRequest, CONFIG.satConcurrency, ms)
      : openLoop(intake.url!, nextRequest, rate, ms);
  const topic = p.directInput!(prefix);
  const start = performance.now();
  let keys: string[];
  if (rate === 'max') {
    keys = [];
    const end = start + ms;
    const sender = async () => {
      while (performance.now() < end) {
        const batch: OutMessage[] = Array.from({ length: 500 }, nextMessage);
        await h.producer.send({ topic, acks: -1, messages: batch });
        for (const m of batch) keys.push(m.key);
      }
    };
    await Promise.all([sender(), sender(), sender(), sender()]);
  } else keys = await produceAtRate(h.producer, topic, nextMessage, rate, ms);
  const durationMs = performance.now() - start;
  return {
    sent: keys.length,
    ok: keys.length,
    errors: 0,
    dropped: 0,
    durationMs,
    latency: latencyHistogram(),
    accepted: keys,
    acceptedAt: keys.map(() => Date.now()),
    statuses: {},
  };
}
