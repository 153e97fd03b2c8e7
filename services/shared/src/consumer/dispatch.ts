// Dispatch (rule 2): a chunk's inbox rows, its handlers' effects and the events they publish
// commit in one transaction. Duplicates (already in the inbox, or twice in the chunk) are
// skipped; runs of consecutive events with the same handler go to it together.
import { batchConcurrent } from '../batch-concurrent';
import type { EventPayloads } from '../contracts';
import type { Tx } from '../db';
import { lazyChild, type Logger } from '../logger';
import type { Metrics } from '../metrics';
import { eventMessage, type OutboxMessage } from '../outbox';
import type { EventName } from '../topics';
import { withTraceContext, type Tracing } from '../tracing';
import type {
  BatchHandler,
  Codec,
  Entry,
  Handler,
  HandlerContext,
  Handlers,
  InboxStore,
  OutboxWriter,
  TransactionRunner,
} from './types';

/** Chunks smaller than this are merged with other partitions' into one transaction, at most MERGED_CHUNKS. */
const MERGE_BELOW = 100;
const MERGED_CHUNKS = 8;
/** Headers copied from an event to the events it causes, so one id follows an order everywhere. */
const CORRELATION_HEADERS = ['x-correlation-id', 'x-origin-ts'];

export interface DispatchDeps {
  service: string;
  prefix: string;
  handlers: Handlers;
  transaction: TransactionRunner;
  inbox: InboxStore;
  outbox: OutboxWriter;
  codec: Codec;
  logger: Logger;
  metrics: Metrics;
  tracing: Tracing;
}

export function dispatcher(deps: DispatchDeps) {
  /** Handles a chunk in a transaction of its own. */
  const inTransaction = async (chunk: Entry[]): Promise<void> => {
    const handled = await deps.transaction((tx) => handleChunk(tx, chunk, deps));
    countConsumed(handled, deps.metrics);
  };

  /**
   * Chunks of partitions handled at the same time share one transaction: while one commits,
   * the chunks that arrive meanwhile queue and go together in the next. At moderate load a
   * partition's batch holds a message or two; merged, a transaction holds dozens.
   */
  const together = batchConcurrent(
    async (chunks: Entry[][]) => {
      await inTransaction(chunks.flat());
      return chunks.map(() => undefined);
    },
    { maxBatch: MERGED_CHUNKS },
  );

  return {
    /** A full chunk is batch enough; small ones (moderate load) share a transaction. */
    handle: (chunk: Entry[]): Promise<void> =>
      chunk.length >= MERGE_BELOW ? inTransaction(chunk) : together(chunk),
    handleAlone: (entry: Entry): Promise<void> => inTransaction([entry]),
  };
}

/** Claims the chunk's inbox rows, runs the handlers of the fresh ones, writes their outbox rows. */
async function handleChunk(tx: Tx, chunk: Entry[], deps: DispatchDeps): Promise<Entry[]> {
  const { handlers, inbox, outbox, metrics, service } = deps;
  const fresh = await inbox.claim(tx, chunk);
  const outgoing: OutboxMessage[] = [];
  const seen = new Set<string>();
  const items: { entry: Entry; ctx: HandlerContext }[] = [];
  for (const entry of chunk) {
    const ctx = handlerContext(tx, entry, outgoing, deps);
    const { eventId, orderId } = entry.payload;
    if (!fresh.has(eventId) || seen.has(eventId)) {
      metrics.duplicatesSkipped.inc({ event_type: entry.type });
      ctx.log.info(`${capitalize(service)} skipped duplicate ${entry.type} for orderId ${orderId}`);
      continue;
    }
    seen.add(eventId);
    items.push({ entry, ctx });
  }
  // Runs of consecutive events with the same handler: arrival order holds across runs.
  for (let start = 0; start < items.length;) {
    const handler = handlers[items[start]!.entry.type] as Handler<EventName> | BatchHandler<EventName>;
    let end = start + 1;
    while (end < items.length && handlers[items[end]!.entry.type] === handler) end++;
    const run = items.slice(start, end);
    if (typeof handler === 'function') {
      for (const { entry, ctx } of run) {
        const endTimer = metrics.handlerDuration.startTimer({ event_type: entry.type });
        await handler(entry.payload as unknown as EventPayloads[EventName], ctx);
        endTimer();
      }
    } else {
      const began = performance.now();
      await handler.batch(
        run.map(({ entry, ctx }) => ({
          type: entry.type,
          event: entry.payload as unknown as EventPayloads[EventName],
          ctx,
        })),
        tx,
      );
      const each = (performance.now() - began) / 1000 / run.length;
      for (const { entry } of run) metrics.handlerDuration.observe({ event_type: entry.type }, each);
    }
    start = end;
  }
  await outbox(tx, outgoing);
  return items.map((i) => i.entry);
}

function handlerContext(tx: Tx, entry: Entry, outgoing: OutboxMessage[], deps: DispatchDeps): HandlerContext {
  const { logger, codec, prefix, tracing } = deps;
  const { eventId, orderId } = entry.payload;
  let log: Logger | undefined; // a child logger costs more than handling the event: made for a line written
  return {
    tx,
    meta: entry.meta,
    get log() {
      return (log ??= lazyChild(logger, () => ({
        orderId,
        eventId,
        eventType: entry.type,
        topic: entry.meta.topic,
        partition: entry.meta.partition,
        offset: entry.meta.offset,
      })));
    },
    publish: (type, payload) => {
      outgoing.push(
        eventMessage(
          codec,
          prefix,
          type,
          payload,
          // The event caused by this one continues its trace, under the span of its handling.
          withTraceContext(
            tracing,
            Object.assign({}, correlationHeaders(entry.meta.headers), { 'x-causation-id': eventId }),
            entry.span,
          ),
        ),
      );
    },
  };
}

function countConsumed(handled: Entry[], metrics: Metrics): void {
  const counts = new Map<string, { topic: string; type: EventName; n: number }>();
  for (const { meta, type } of handled) {
    const key = `${meta.topic} ${type}`;
    const count = counts.get(key) ?? { topic: meta.topic, type, n: 0 };
    count.n++;
    counts.set(key, count);
  }
  for (const { topic, type, n } of counts.values())
    metrics.eventsConsumed.inc({ topic, event_type: type }, n);
}

function correlationHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    CORRELATION_HEADERS.filter((h) => headers[h] !== undefined).map((h) => [h, headers[h]!]),
  );
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
