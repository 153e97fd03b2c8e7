// Trace context across Kafka, over the consumer's fakes and a fake relay database (no broker):
// the W3C traceparent travels in headers, the relay's publish span continues the context stored
// with the outbox row, each handled message is a consumer span continuing its message's trace,
// and the events a handler publishes carry that span's context.
import { Writable } from 'node:stream';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import {
  OutboxRelay,
  TRACING_OFF,
  recordingPartitioner,
  createLogger,
  createMetrics,
  startTracing,
  traceContextOf,
  withTraceContext,
  type Db,
  type OrderCreated,
  type Tracing,
} from '@orderflow/shared';
import type { Message, PartitionMetadata, Producer } from 'kafkajs';
import { FakeDatabase, GROUP, TOPIC, fakeBatch, fakeSender, orderCreated, poison, runnerOver } from './fakes';

const quiet = createLogger({
  service: 'test',
  destination: new Writable({ write: (_c, _e, done) => done() }),
});

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PRODUCER_SPAN = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${PRODUCER_SPAN}-01`;
const W3C = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

const exporter = new InMemorySpanExporter();
let tracing: Tracing;

beforeAll(async () => {
  tracing = await startTracing(
    { exporter: 'none', serviceName: 'billing', sampler: 'parentbased_always_on', samplerRatio: 1 },
    quiet,
    { exporter },
  );
});
afterAll(() => tracing.shutdown());
beforeEach(() => exporter.reset());

/** An OrderCreated message that a producer span of another service sent. */
function tracedOrderCreated(offset: number) {
  const message = orderCreated(offset);
  message.headers = { ...message.headers, traceparent: TRACEPARENT };
  return message;
}

function finished(kind: SpanKind): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((s) => s.kind === kind);
}

describe('W3C trace context in headers', () => {
  test("headers get the given span's traceparent, and reading them back continues that span", () => {
    const span = tracing.tracer.startSpan('writer');
    const headers = withTraceContext(tracing, { 'x-correlation-id': 'c-1' }, span);
    span.end();
    expect(headers['x-correlation-id']).toBe('c-1');
    const [, traceId, spanId] = W3C.exec(headers.traceparent!)!;
    expect({ traceId, spanId }).toEqual({
      traceId: span.spanContext().traceId,
      spanId: span.spanContext().spanId,
    });
    const continued = trace.getSpanContext(traceContextOf(tracing, headers));
    expect(continued).toMatchObject({ traceId, spanId, isRemote: true });
  });

  test('tracestate travels beside traceparent', () => {
    const parent = traceContextOf(tracing, { traceparent: TRACEPARENT, tracestate: 'vendor=abc' });
    const span = tracing.tracer.startSpan('child', {}, parent);
    const headers = withTraceContext(tracing, {}, span);
    span.end();
    expect(headers.tracestate).toBe('vendor=abc');
    expect(headers.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-`));
  });

  test('tracing off: headers come back untouched, the very same object', () => {
    const headers = { 'x-correlation-id': 'c-1' };
    expect(withTraceContext(TRACING_OFF, headers)).toBe(headers);
    expect(headers).toEqual({ 'x-correlation-id': 'c-1' });
    expect(trace.getSpanContext(traceContextOf(TRACING_OFF, { traceparent: TRACEPARENT }))).toBeUndefined();
  });
});

describe('a consumed message', () => {
  test("is a consumer span continuing its message's traceparent, and the events its handler publishes carry that span", async () => {
    const db = new FakeDatabase();
    const { consume } = runnerOver(
      db,
      {
        OrderCreated: async (event: OrderCreated, ctx) =>
          ctx.publish('PaymentCaptured', { eventId: 'e-2', orderId: event.orderId } as never),
      },
      undefined,
      undefined,
      tracing,
    );

    await consume(fakeBatch([tracedOrderCreated(7)]));

    const [span, ...more] = finished(SpanKind.CONSUMER);
    expect(more).toEqual([]);
    expect(span!.name).toBe(`${TOPIC} process`);
    expect(span!.spanContext().traceId).toBe(TRACE_ID);
    expect(span!.parentSpanContext?.spanId).toBe(PRODUCER_SPAN);
    expect(span!.status.code).toBe(SpanStatusCode.UNSET);
    expect(span!.attributes).toEqual({
      'messaging.system': 'kafka',
      'messaging.destination.name': TOPIC,
      'messaging.destination.partition.id': '0',
      'messaging.kafka.destination.partition': 0,
      'messaging.kafka.message.offset': 7,
      'messaging.message.id': '00000000-0000-4000-8000-000000000007',
      'messaging.operation': 'process',
      'messaging.operation.type': 'process',
      'messaging.consumer.group.name': GROUP,
      'orderflow.order_id': 'order-7',
      'orderflow.event_type': 'OrderCreated',
    });
    expect(span!.resource.attributes['service.name']).toBe('billing');

    const [row] = db.outboxRows;
    expect(row!.headers).toMatchObject({
      'x-correlation-id': 'corr-7',
      'x-causation-id': span!.attributes['messaging.message.id'],
    });
    expect(row!.headers.traceparent).toBe(`00-${TRACE_ID}-${span!.spanContext().spanId}-01`);
  });

  test('without a traceparent it starts a trace of its own', async () => {
    const { consume } = runnerOver(
      new FakeDatabase(),
      { OrderCreated: async () => undefined },
      undefined,
      undefined,
      tracing,
    );
    await consume(fakeBatch([orderCreated(1)]));
    const [span] = finished(SpanKind.CONSUMER);
    expect(span!.parentSpanContext).toBeUndefined();
    expect(span!.spanContext().traceId).not.toBe(TRACE_ID);
  });

  test('dead-lettered after its retries, its span records the error: status ERROR and the exception', async () => {
    const { consume, sender } = runnerOver(
      new FakeDatabase(),
      {
        OrderCreated: async () => {
          throw new Error('the handler cannot process this order');
        },
      },
      undefined,
      undefined,
      tracing,
    );
    await consume(fakeBatch([tracedOrderCreated(3)]));

    expect(sender.sent).toHaveLength(1);
    const [span, ...more] = finished(SpanKind.CONSUMER);
    expect(more).toEqual([]); // one span across every attempt, MAX_ATTEMPTS of them
    expect(span!.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: 'the handler cannot process this order',
    });
    expect(span!.events.map((e) => e.name)).toEqual(['exception']);
    expect(span!.events[0]!.attributes).toMatchObject({
      'exception.message': 'the handler cannot process this order',
    });
    expect(span!.attributes).toMatchObject({
      'orderflow.dlq.reason': 'HANDLER_FAILED',
      'orderflow.order_id': 'order-3',
    });
  });

  test('an undecodable message sent to the DLQ is an error span too, in the trace it came with', async () => {
    const bad = { ...poison(4), headers: { traceparent: TRACEPARENT } };
    const { consume } = runnerOver(
      new FakeDatabase(),
      { OrderCreated: async () => undefined },
      fakeSender(),
      undefined,
      tracing,
    );
    await consume(fakeBatch([bad]));
    const [span] = finished(SpanKind.CONSUMER);
    expect(span!.spanContext().traceId).toBe(TRACE_ID);
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    expect(span!.attributes).toMatchObject({
      'orderflow.dlq.reason': 'NOT_AVRO',
      'messaging.kafka.message.offset': 4,
    });
    expect(span!.attributes['orderflow.order_id']).toBeUndefined();
  });

  test('tracing off: no span, and the published events carry no traceparent', async () => {
    const db = new FakeDatabase();
    const { consume } = runnerOver(db, {
      OrderCreated: async (event: OrderCreated, ctx) =>
        ctx.publish('PaymentCaptured', { eventId: 'e-2', orderId: event.orderId } as never),
    });
    await consume(fakeBatch([tracedOrderCreated(5)]));
    expect(exporter.getFinishedSpans()).toEqual([]);
    expect(db.outboxRows[0]!.headers.traceparent).toBeUndefined();
  });
});

describe('the outbox relay', () => {
  const ONE_PARTITION: PartitionMetadata[] = [
    { partitionId: 0, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0 },
  ];

  interface Sent {
    topic: string;
    messages: { key: string; headers: Record<string, string> }[];
  }

  /** A relay over one outbox row and a producer that records (or refuses) what it is sent. */
  function relayOver(headers: Record<string, string>, relayTracing: Tracing, refuse?: Error) {
    const sent: Sent[] = [];
    const row = {
      id: '1',
      topic: 'billing.events',
      key: 'order-9',
      value: Buffer.from('x'),
      headers,
      event_type: 'PaymentCaptured',
    };
    let rows = [row];
    const db = {
      tx: async (work: (tx: unknown) => Promise<unknown>) =>
        work({
          query: async () => {
            const taken = rows;
            rows = [];
            return { rows: taken };
          },
        }),
    } as unknown as Db;
    // Partitions as the real producer does, so the relay sees every partition acknowledged.
    const partition = recordingPartitioner();
    const producer = {
      sendBatch: async ({ topicMessages }: { topicMessages: Sent[] }) => {
        if (refuse) throw refuse;
        sent.push(...topicMessages);
        return topicMessages.flatMap(({ topic, messages }) =>
          messages.map((message) => ({
            topicName: topic,
            partition: partition({ topic, partitionMetadata: ONE_PARTITION, message: message as Message }),
            errorCode: 0,
            baseOffset: '41',
          })),
        );
      },
    } as unknown as Producer;
    const relay = new OutboxRelay({
      db,
      producer,
      logger: quiet,
      metrics: createMetrics('test'),
      tracing: relayTracing,
    });
    return { relay, sent };
  }

  test('publishes each row as a producer span, child of the context stored with it, and sends that span as the traceparent', async () => {
    const writer = tracing.tracer.startSpan('POST /orders');
    const rowHeaders = withTraceContext(tracing, { 'x-event-id': 'e-9', 'x-correlation-id': 'c-9' }, writer);
    writer.end();
    const { relay, sent } = relayOver(rowHeaders, tracing);

    expect(await relay.publishBatch()).toBe(1);

    const [span, ...more] = finished(SpanKind.PRODUCER);
    expect(more).toEqual([]);
    expect(span!.name).toBe('billing.events publish');
    expect(span!.spanContext().traceId).toBe(writer.spanContext().traceId);
    expect(span!.parentSpanContext?.spanId).toBe(writer.spanContext().spanId);
    expect(span!.attributes).toEqual({
      'messaging.system': 'kafka',
      'messaging.destination.name': 'billing.events',
      'messaging.message.id': 'e-9',
      'messaging.operation': 'publish',
      'messaging.operation.type': 'send',
      'orderflow.order_id': 'order-9',
      'orderflow.event_type': 'PaymentCaptured',
      // where Kafka put it: the partition chosen and the offset it acknowledged
      'messaging.destination.partition.id': '0',
      'messaging.kafka.destination.partition': 0,
      'messaging.kafka.message.offset': 41,
    });
    const [message] = sent[0]!.messages;
    expect(message!.headers).toMatchObject({ 'x-event-id': 'e-9', 'x-correlation-id': 'c-9' });
    expect(message!.headers.traceparent).toBe(
      `00-${writer.spanContext().traceId}-${span!.spanContext().spanId}-01`,
    );
  });

  test('a send Kafka refuses ends its spans in error', async () => {
    const { relay } = relayOver({ traceparent: TRACEPARENT }, tracing, new Error('broker gone'));
    await expect(relay.publishBatch()).rejects.toThrow('broker gone');
    const [span] = finished(SpanKind.PRODUCER);
    expect(span!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'broker gone' });
  });

  test('tracing off: the row goes out with the headers it was written with', async () => {
    const rowHeaders = { 'x-event-id': 'e-9' };
    const { relay, sent } = relayOver(rowHeaders, TRACING_OFF);
    await relay.publishBatch();
    expect(sent[0]!.messages[0]!.headers).toBe(rowHeaders);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});
