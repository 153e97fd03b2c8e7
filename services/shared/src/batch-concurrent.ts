// Batching of concurrent requests: callers that arrive while earlier work is busy go
// together in the next call, so one database round trip serves many of them.
import { isTransient } from './errors';

/** Calls of `run` at once; while they are busy, new items queue and go together in the next. */
const MAX_IN_FLIGHT = 2;

export interface BatchConcurrentOptions {
  /** Most items in one call of `run`. */
  maxBatch?: number;
}

/**
 * Batches concurrent callers: `run` gets every item queued since the last call
 * and answers one result per item, in order. Nothing waits on a timer: at low load a batch is
 * one item sent at once; under load, items queue while `run` is busy, so batches grow with it.
 * A batch failing for a reason other than unavailable infrastructure is retried item by item,
 * so one bad item fails alone.
 */
export function batchConcurrent<In, Out>(
  run: (items: In[]) => Promise<Out[]>,
  { maxBatch = 200 }: BatchConcurrentOptions = {},
): (item: In) => Promise<Out> {
  type Waiter = { item: In; resolve: (out: Out) => void; reject: (err: unknown) => void };
  let queue: Waiter[] = [];
  let inFlight = 0;
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    while (inFlight < MAX_IN_FLIGHT && queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      inFlight++;
      void settle(batch).finally(() => {
        inFlight--;
        schedule();
      });
    }
  };
  const schedule = () => {
    if (!scheduled && queue.length > 0 && inFlight < MAX_IN_FLIGHT) {
      scheduled = true;
      setImmediate(flush); // callers that arrived in the same turn of the event loop go together
    }
  };
  const settle = async (batch: Waiter[]) => {
    try {
      const results = await run(batch.map((w) => w.item));
      batch.forEach((w, i) => w.resolve(results[i]!));
    } catch (err) {
      // Infrastructure down fails everyone at once; anything else may be one item's fault.
      if (batch.length === 1 || isTransient(err)) return batch.forEach((w) => w.reject(err));
      for (const w of batch) await settle([w]);
    }
  };
  return (item) =>
    new Promise<Out>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      schedule();
    });
}
