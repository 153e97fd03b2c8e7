// Spans of Kafka messages, named and attributed by OpenTelemetry's messaging semantic
// conventions (the current attribute names and the older ones many backends still read):
// "<topic> publish" (PRODUCER) when the relay sends an outbox row, "<topic> process" (CONSUMER)
// around a consumed message's handling, continuing the trace its headers carry. Tracing off,
// nothing here allocates: the consumer's calls answer undefined at once.
import { SpanKind, SpanStatusCode, type Attributes, type Span } from '@opentelemetry/api';
import { traceContextOf, withTraceContext } from './propagation';
import type { Tracing } from './setup';

/** What orderflow knows of an event beyond Kafka: its record type and the order it concerns. */
export interface EventFacts {
  type: string;
  orderId: string;
}

function messageAttributes(topic: string, eventId: string, event: EventFacts | undefined): Attributes {
  const attributes: Attributes = { 'messaging.system': 'kafka', 'messaging.destination.name': topic };
  if (eventId) attributes['messaging.message.id'] = eventId;
  if (event) {
    attributes['orderflow.order_id'] = event.orderId;
    attributes['orderflow.event_type'] = event.type;
  }
  return attributes;
}

/**
 * Starts the span of publishing one outbox row, a child of the context stored with the row
 * (the request or handler that wrote it), and answers the headers to send: the row's, with
 * this span's context in place of the writer's.
 */
export function startPublishSpan(
  tracing: Tracing,
  topic: string,
  event: EventFacts,
  rowHeaders: Record<string, string>,
): { span: Span; headers: Record<string, string> } {
  const attributes = messageAttributes(topic, rowHeaders['x-event-id'] ?? '', event);
  attributes['messaging.operation'] = 'publish';
  attributes['messaging.operation.type'] = 'send';
  const span = tracing.tracer.startSpan(
    `${topic} publish`,
    { kind: SpanKind.PRODUCER, attributes },
    traceContextOf(tracing, rowHeaders),
  );
  return { span, headers: withTraceContext(tracing, { ...rowHeaders }, span) };
}

/** Where a consumed message sits (the consumer's EventMeta has this shape). */
export interface Delivery {
  topic: string;
  partition: number;
  offset: string;
  headers: Record<string, string>;
  /** Empty when the message could not be decoded. */
  eventId: string;
}

/**
 * Starts the span of handling one consumed message, continuing the trace its headers carry;
 * undefined when tracing is off. Its type and order are unknown for a message that cannot be
 * decoded. (Plain arguments, not an object: the call is made for every message, off or on.)
 */
export function startProcessSpan(
  tracing: Tracing,
  group: string,
  delivery: Delivery,
  type?: string,
  orderId?: string,
): Span | undefined {
  if (!tracing.enabled) return undefined;
  const { topic, partition, offset, headers, eventId } = delivery;
  const attributes = messageAttributes(topic, eventId, type && orderId ? { type, orderId } : undefined);
  attributes['messaging.operation'] = 'process';
  attributes['messaging.operation.type'] = 'process';
  attributes['messaging.consumer.group.name'] = group;
  Object.assign(attributes, placeAttributes(partition, offset));
  return tracing.tracer.startSpan(
    `${topic} process`,
    { kind: SpanKind.CONSUMER, attributes },
    traceContextOf(tracing, headers),
  );
}

/** Where a message sits in its topic, as both consumer and producer spans name it. */
export function placeAttributes(partition: number, offset: string | number): Attributes {
  return {
    'messaging.destination.partition.id': String(partition),
    'messaging.kafka.destination.partition': partition,
    'messaging.kafka.message.offset': Number(offset),
  };
}

/** Marks a span failed: status ERROR and the exception as an event, plus any `attributes`. */
export function recordFailure(span: Span | undefined, err: unknown, attributes?: Attributes): void {
  if (!span) return;
  const error = err instanceof Error ? err : new Error(String(err));
  span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  if (attributes) span.setAttributes(attributes);
}

/** Ends the spans of messages whose work is over; `err` when it failed. */
export function endSpans(items: readonly { span?: Span }[], err?: unknown): void {
  for (let i = 0; i < items.length; i++) {
    const span = items[i]!.span;
    if (!span) continue;
    if (err !== undefined) recordFailure(span, err);
    span.end();
  }
}
