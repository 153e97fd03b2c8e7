// `npm run orders:trace -- <orderId>`: an order's journey across the services, as people read
// it: the order (orders), its event history in the order things happened, and what billing,
// shipping and notifications each hold about it. Reads the services' HTTP APIs: ORDERS_URL,
// BILLING_URL, SHIPPING_URL and NOTIFICATIONS_URL (defaults: the local ports 3000-3004).
// An unknown order, or orders being down, ends with exit code 1; another service being down
// is shown in its row and the trace goes on. It reads as an operator: ORDERFLOW_TOKEN (or
// ORDERFLOW_TOKEN_FILE) holds a token with the orderflow:operator scope; unset, one is minted
// from the local stack's issuer key when there is one (npm start / up made it).
// The order's trace id comes from the traceparent its events were published with; with
// tracing on (OTEL_TRACES_EXPORTER=zipkin, as after `stack:up -- --tracing`) the Zipkin link
// to it follows.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  DEFAULT_PORTS,
  TRACE_EXPORTERS,
  env,
  producerOf,
  readEnv,
  traceIdOf,
  type EventName,
  type Env,
} from '../../services/shared/src';
import { formatTable } from '../schemas/repo';
import { runCommand, UsageError } from './common';
import { issuerKeyFile, localToken } from '../auth/cli';
import { zipkinExportEnv } from '../stack/zipkin';

const USAGE = 'usage: npm run orders:trace -- <orderId>';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const local = (port: number) => `http://127.0.0.1:${port}`;
const spec = {
  ORDERS_URL: env.url(['http:', 'https:'], local(DEFAULT_PORTS.orders)),
  BILLING_URL: env.url(['http:', 'https:'], local(DEFAULT_PORTS.billing)),
  SHIPPING_URL: env.url(['http:', 'https:'], local(DEFAULT_PORTS.shipping)),
  NOTIFICATIONS_URL: env.url(['http:', 'https:'], local(DEFAULT_PORTS.notifications)),
  ORDERFLOW_TOKEN: env.optionalText(),
  OTEL_TRACES_EXPORTER: env.oneOf([...TRACE_EXPORTERS], 'none'),
  OTEL_EXPORTER_ZIPKIN_ENDPOINT: env.url(['http:', 'https:'], 'http://localhost:9411/api/v2/spans'),
};
export type TraceUrls = {
  orders: string;
  billing: string;
  shipping: string;
  notifications: string;
  /** An operator's bearer token. */
  token?: string;
  /** Zipkin's base URL, when the services export to Zipkin. */
  zipkin?: string;
};

export function readTraceUrls(source: Env): TraceUrls {
  const raw = readEnv(spec, source);
  return {
    orders: raw.ORDERS_URL,
    billing: raw.BILLING_URL,
    shipping: raw.SHIPPING_URL,
    notifications: raw.NOTIFICATIONS_URL,
    token: raw.ORDERFLOW_TOKEN,
    zipkin:
      raw.OTEL_TRACES_EXPORTER === 'zipkin'
        ? raw.OTEL_EXPORTER_ZIPKIN_ENDPOINT.replace(/\/api\/v2\/spans\/?$/, '')
        : undefined,
  };
}

/** What one GET found: the body, "not found", or why the service could not be asked. */
type Answer = { found: Json } | { missing: string } | { down: string };

async function ask(service: string, url: string, token?: string): Promise<Answer> {
  let response: Response;
  try {
    response = await fetch(url, {
      signal: AbortSignal.timeout(5_000),
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
  } catch (error) {
    const { cause } = error as { cause?: { code?: string; message?: string } };
    const reason = cause?.code ?? cause?.message ?? (error as Error).message;
    return { down: `${service} is unreachable at ${new URL(url).origin} (${reason})` };
  }
  const text = await response.text();
  if (response.status === 404) return { missing: text };
  if (!response.ok)
    return {
      down: `${service} answered ${response.status} at ${new URL(url).origin}: ${text.slice(0, 200)}`,
    };
  return { found: JSON.parse(text) as Json };
}

const money = (cents: number, currency: string) => `${(cents / 100).toFixed(2)} ${currency}`;
const lines = (items: { itemId: string; quantity: number }[]) =>
  items.map((i) => `${i.quantity} × ${i.itemId}`).join(', ');

/** One line saying what an event meant for the order. */
export function describeEvent(type: string, p: Json): string {
  switch (type as EventName) {
    case 'OrderCreated':
      return `order placed: ${lines(p.items)}, total ${money(p.totalCents, p.currency)}`;
    case 'PaymentCaptured':
      return `payment captured: ${money(p.amountCents, p.currency)}`;
    case 'PaymentDeclined':
      return `payment declined: ${money(p.amountCents, p.currency)} (${p.reason})`;
    case 'PaymentRefunded':
      return `payment refunded: ${money(p.amountCents, p.currency)} (${p.reason})`;
    case 'InventoryReserved':
      return `stock reserved: ${lines(p.items)}`;
    case 'InventoryInsufficient':
      return `not enough stock: ${(p.items as Json[]).map((i) => `${i.itemId} ${i.requested} wanted, ${i.available} available`).join('; ')}`;
    case 'ShippingScheduled':
      return `shipment scheduled: ${p.carrier}, pickup ${String(p.scheduledFor).slice(0, 10)}`;
    case 'EmailSent':
      return `email ${p.kind} to ${p.to}`;
    default:
      return type;
  }
}

/** The whole trace as text, and whether the order could be shown at all. */
export async function traceOrder(orderId: string, urls: TraceUrls): Promise<{ ok: boolean; text: string }> {
  const id = encodeURIComponent(orderId);
  const [order, history, payment, shipment, notes] = await Promise.all([
    ask('orders', `${urls.orders}/orders/${id}`, urls.token),
    ask('orders', `${urls.orders}/orders/${id}/events`, urls.token),
    ask('billing', `${urls.billing}/payments/${id}`, urls.token),
    ask('shipping', `${urls.shipping}/shipments/${id}`, urls.token),
    ask('notifications', `${urls.notifications}/notifications?orderId=${id}`, urls.token),
  ]);
  if ('down' in order) return { ok: false, text: order.down };
  if ('missing' in order)
    return { ok: false, text: `no order ${orderId} at ${urls.orders} (orders answered 404)` };

  const o = order.found;
  const out = [
    `order ${o.orderId}  status ${o.status}`,
    `customer ${o.customerId}${o.email ? ` <${o.email}>` : ''}  ${lines(o.items)}  total ${money(o.totalCents, o.currency)}`,
    `created ${o.createdAt}  last change ${o.updatedAt}`,
  ];
  if ('found' in history) out.push(traceLine(history.found.events as Json[], urls.zipkin));
  out.push('');
  const start = Date.parse(o.createdAt);
  const elapsed = (at: string) => `+${((Date.parse(at) - start) / 1000).toFixed(3)}s`;
  if ('found' in history) {
    const events = [...(history.found.events as Json[])].sort(
      (a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt) || a.seq - b.seq,
    );
    out.push(
      formatTable([
        ['time', 'after', 'service', 'event', 'what happened'],
        ...events.map((e) => [
          e.occurredAt,
          elapsed(e.occurredAt),
          producerOfSafe(e.type),
          e.type,
          describeEvent(e.type, e.payload),
        ]),
      ]),
    );
  } else {
    out.push('down' in history ? history.down : 'orders has no event history for it');
  }

  const row = (service: string, answer: Answer, missing: string, show: (found: Json) => [string, string]) =>
    'found' in answer
      ? [service, ...show(answer.found)]
      : [service, '-', 'down' in answer ? `UNREACHABLE: ${answer.down}` : missing];
  out.push(
    '',
    formatTable([
      ['service', 'time', 'what it holds'],
      row('billing', payment, 'no payment (yet)', (p) => [
        p.refundedAt ?? p.createdAt,
        `payment ${p.status} ${money(p.amountCents, p.currency)}${p.declineReason ? ` (${p.declineReason})` : ''}`,
      ]),
      row('shipping', shipment, 'no shipment (yet)', (s) => [
        s.createdAt,
        `shipment by ${s.carrier}, pickup ${String(s.scheduledFor).slice(0, 10)}: ${lines(s.items)}`,
      ]),
      ...notificationRows(notes),
    ]),
  );
  return { ok: true, text: out.join('\n') };
}

/** The order's trace: the one its OrderCreated (else its first traced event) was published in. */
function traceLine(events: Json[], zipkin: string | undefined): string {
  const traced = [...events.filter((e) => e.type === 'OrderCreated'), ...events]
    .map((e) => traceIdOf(e.traceparent))
    .find((id) => id !== undefined);
  if (!traced)
    return 'trace none: its events carry no traceparent (tracing was off when they were published)';
  return zipkin ? `trace ${traced}  ${zipkin}/zipkin/traces/${traced}` : `trace ${traced}`;
}

function notificationRows(answer: Answer): string[][] {
  if ('down' in answer) return [['notifications', '-', `UNREACHABLE: ${answer.down}`]];
  const list = 'found' in answer ? [...(answer.found.notifications as Json[])].reverse() : [];
  if (list.length === 0) return [['notifications', '-', 'no emails (yet)']];
  return list.map((n) => ['notifications', n.sentAt, `email ${n.kind} to ${n.to}: "${n.subject}"`]);
}

function producerOfSafe(type: string): string {
  try {
    return producerOf(type as EventName);
  } catch {
    return '?';
  }
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: process.argv.slice(2), allowPositionals: true, options: {} });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (parsed.positionals.length !== 1) throw new UsageError('orders:trace takes one orderId');
  // After `stack:up -- --tracing` the services export to the stack's Zipkin, as npm start sets up.
  const urls = readTraceUrls({ ...process.env, ...zipkinExportEnv(process.env) });
  urls.token ??= existsSync(issuerKeyFile()) ? await localToken('ops', true, 1) : undefined;
  const { ok, text } = await traceOrder(parsed.positionals[0]!, urls);
  (ok ? console.log : console.error)(text);
  return ok ? 0 : 1;
}

if (require.main === module) runCommand('orders:trace', USAGE, main);
