// One order, one trace: with the five services exporting to a real Zipkin server, an order
// placed over HTTP and shipped is one trace in Zipkin holding spans of every service, each
// Kafka hop a consumer span whose parent is the previous service's producer span, every
// messaging span tagged with the order id; orders:trace prints that trace's id and link.
import { randomUUID } from 'node:crypto';
import { consumersOf, producerOf, traceIdOf, SERVICE_NAMES, type EventName } from '@orderflow/shared';
import { readSettings } from '../../scripts/stack/settings';
import { zipkinUp } from '../../scripts/stack/zipkin';
import { bearer, getJson, postJson, startPlatform, waitForStatus, type Platform } from '../support/platform';
import { waitFor } from '../support/wait';
import { runScript } from '../ops/run-script';

/** A span as Zipkin's v2 API answers it. */
interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  kind?: 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER';
  name: string;
  localEndpoint: { serviceName: string };
  tags?: Record<string, string>;
}

/** The events of a shipped order, each time it is published (two emails). */
const SHIPPED_ORDER_EVENTS: EventName[] = [
  'OrderCreated',
  'PaymentCaptured',
  'InventoryReserved',
  'ShippingScheduled',
  'EmailSent',
  'EmailSent',
];

let zipkin: string;
let platform: Platform;

beforeAll(async () => {
  // The stack's Zipkin: started when it is not running yet, and left running (never stopped here).
  zipkin = await zipkinUp(readSettings(), () => undefined);
  platform = await startPlatform({
    env: { OTEL_TRACES_EXPORTER: 'zipkin', OTEL_EXPORTER_ZIPKIN_ENDPOINT: `${zipkin}/api/v2/spans` },
  });
});

afterAll(async () => {
  await platform?.stop();
});

async function zipkinJson<T>(path: string): Promise<T> {
  const response = await fetch(`${zipkin}${path}`);
  if (!response.ok) throw new Error(`zipkin answered ${response.status} to ${path}`);
  return (await response.json()) as T;
}

const serviceOf = (span: ZipkinSpan) => span.localEndpoint.serviceName;
/** One service handling one message. */
const handling = (span: ZipkinSpan) => `${serviceOf(span)} ${span.tags?.['messaging.message.id']}`;

test('a shipped order is one trace in Zipkin across all five services, linked parent to child over every Kafka hop', async () => {
  const orderId = randomUUID();
  const order = { orderId, customerId: 'c-traced', items: [{ itemId: 'ceramic-mug', quantity: 1 }] };
  expect((await postJson(`${platform.url('orders')}/orders`, order)).status).toBe(201);
  await waitForStatus(platform, orderId, 'SHIPPED');

  // Every event of the order travelled with a traceparent of one and the same trace.
  const published = await waitFor(
    () => {
      const events = platform.events.ofOrder(orderId);
      return events.length === SHIPPED_ORDER_EVENTS.length && events;
    },
    { what: `the ${SHIPPED_ORDER_EVENTS.length} events of order ${orderId}` },
  );
  const traceIds = new Set(published.map((e) => traceIdOf(e.headers.traceparent)));
  expect(traceIds.size).toBe(1);
  const [traceId] = [...traceIds];
  expect(traceId).toMatch(/^[0-9a-f]{32}$/);

  // Zipkin holds one trace tagged with the order, once every hop's consumer span has arrived.
  const expectedHops = SHIPPED_ORDER_EVENTS.flatMap((event) =>
    consumersOf(event).map((consumer) => `${producerOf(event)} → ${consumer}: ${event}`),
  ).sort();
  const tagged = `/api/v2/traces?annotationQuery=${encodeURIComponent(`orderflow.order_id=${orderId}`)}&limit=10`;
  const traces = await waitFor(
    async () => {
      // Five exporters flush on their own schedules: wait for every handling and every publish
      // (a redelivered message is handled twice, so handlings count once per service and message).
      const found = await zipkinJson<ZipkinSpan[][]>(tagged);
      const handled = new Set(
        found
          .flat()
          .filter((s) => s.kind === 'CONSUMER')
          .map(handling),
      );
      const publishes = found.flat().filter((s) => s.kind === 'PRODUCER').length;
      return handled.size === expectedHops.length && publishes >= SHIPPED_ORDER_EVENTS.length && found;
    },
    {
      timeoutMs: 60_000,
      what: `Zipkin to hold the ${expectedHops.length} handlings and ${SHIPPED_ORDER_EVENTS.length} publishes of order ${orderId}`,
    },
  );
  expect(traces).toHaveLength(1);
  const spans = traces[0]!;
  expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([traceId]));
  expect(new Set(spans.map(serviceOf))).toEqual(new Set(SERVICE_NAMES));

  const byId = new Map(spans.map((s) => [s.id, s]));
  const parentOf = (span: ZipkinSpan) => byId.get(span.parentId ?? '');

  // The root: the HTTP request that placed the order.
  const roots = spans.filter((s) => !s.parentId);
  expect(roots.map((s) => [serviceOf(s), s.kind, s.name])).toEqual([['orders', 'SERVER', 'post /orders']]);
  expect(roots[0]!.tags).toMatchObject({ 'orderflow.order_id': orderId, 'http.response.status_code': '201' });

  // Each hop: a consumer span whose parent is the producer span of the service that published it.
  const consumers = spans.filter((s) => s.kind === 'CONSUMER');
  const firstHandlings = [...new Map(consumers.map((s) => [handling(s), s])).values()];
  const hops = firstHandlings.map((span) => {
    const parent = parentOf(span);
    expect(parent?.kind).toBe('PRODUCER');
    expect(parent?.tags?.['messaging.destination.name']).toBe(span.tags?.['messaging.destination.name']);
    expect(parent?.tags?.['messaging.message.id']).toBe(span.tags?.['messaging.message.id']);
    // The producer span names the partition and offset Kafka gave the message, as its consumer read them.
    expect(parent?.tags?.['messaging.kafka.message.offset']).toBe(
      span.tags?.['messaging.kafka.message.offset'],
    );
    expect(parent?.tags?.['messaging.destination.partition.id']).toBe(
      span.tags?.['messaging.destination.partition.id'],
    );
    return `${serviceOf(parent!)} → ${serviceOf(span)}: ${span.tags?.['orderflow.event_type']}`;
  });
  expect(hops.sort()).toEqual(expectedHops);

  // Each producer span is a child of what wrote its outbox row: the request, or a consumer span of its service.
  const producers = spans.filter((s) => s.kind === 'PRODUCER');
  expect(producers).toHaveLength(SHIPPED_ORDER_EVENTS.length);
  for (const producer of producers) {
    const writer = parentOf(producer)!;
    expect(serviceOf(writer)).toBe(serviceOf(producer));
    expect(writer.kind).toBe(
      producer.tags?.['orderflow.event_type'] === 'OrderCreated' ? 'SERVER' : 'CONSUMER',
    );
  }

  // Every messaging span names the order, as OpenTelemetry's messaging conventions describe it.
  for (const span of [...consumers, ...producers]) {
    expect(span.tags).toMatchObject({
      'orderflow.order_id': orderId,
      'messaging.system': 'kafka',
      'messaging.destination.name': expect.stringContaining(platform.prefix),
    });
  }
  expect(consumers[0]!.tags).toMatchObject({
    'messaging.kafka.message.offset': expect.stringMatching(/^\d+$/),
    'messaging.destination.partition.id': expect.stringMatching(/^\d+$/),
    'messaging.operation': 'process',
  });

  // The order's history keeps each event's traceparent; orders:trace prints the trace id and its Zipkin link, which opens.
  const history = await getJson(`${platform.url('orders')}/orders/${orderId}/events`);
  const recorded = (history.body.events as { traceparent: string | null }[]).map((e) =>
    traceIdOf(e.traceparent),
  );
  expect(new Set(recorded)).toEqual(new Set([traceId]));
  const token = (await bearer('ops-trace', { operator: true })).authorization!.replace('Bearer ', '');
  const trace = await runScript('trace.ts', [orderId], {
    ORDERS_URL: platform.url('orders'),
    BILLING_URL: platform.url('billing'),
    SHIPPING_URL: platform.url('shipping'),
    NOTIFICATIONS_URL: platform.url('notifications'),
    ORDERFLOW_TOKEN: token,
    OTEL_TRACES_EXPORTER: 'zipkin',
    OTEL_EXPORTER_ZIPKIN_ENDPOINT: `${zipkin}/api/v2/spans`,
  });
  expect([trace.code, trace.stderr]).toEqual([0, '']);
  const link = `${zipkin}/zipkin/traces/${traceId}`;
  expect(trace.stdout).toContain(`trace ${traceId}  ${link}`);
  expect((await fetch(link)).status).toBe(200);
});
