// Reconciliation after a fault: every order the platform accepted (or stored) must have reached
// exactly the terminal status its content dictates, with exactly the events and rows that
// status implies — counted by distinct eventId on Kafka and by rows in every service's schema.
import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import {
  DEMO_CATALOG,
  EVENT_NAMES,
  EventCodec,
  SchemaRegistryClient,
  SERVICE_NAMES,
  avroTypeOf,
  groupOf,
  loadAvroSchema,
  platformTopics,
  schemaName,
  type EventName,
  type ServiceName,
} from '@orderflow/shared';
import { waitFor } from '../support/wait';
import type { Outcome } from './load';

type Counts = Partial<Record<string, number>>;

/** The events each outcome implies, per record type. */
export const EXPECTED_EVENTS: Record<Outcome, Counts> = {
  SHIPPED: { OrderCreated: 1, PaymentCaptured: 1, InventoryReserved: 1, ShippingScheduled: 1, EmailSent: 2 },
  DECLINED: { OrderCreated: 1, PaymentDeclined: 1, EmailSent: 1 },
  REFUNDED: {
    OrderCreated: 1,
    PaymentCaptured: 1,
    InventoryInsufficient: 1,
    PaymentRefunded: 1,
    EmailSent: 2,
  },
};
const EXPECTED_EMAILS: Record<Outcome, Counts> = {
  SHIPPED: { PAYMENT_CAPTURED: 1, SHIPPING_SCHEDULED: 1 },
  DECLINED: { PAYMENT_DECLINED: 1 },
  REFUNDED: { PAYMENT_CAPTURED: 1, PAYMENT_REFUNDED: 1 },
};
const PAYMENT: Record<Outcome, string> = { SHIPPED: 'CAPTURED', DECLINED: 'DECLINED', REFUNDED: 'REFUNDED' };
const RESERVATION: Record<Outcome, string | undefined> = {
  SHIPPED: 'RESERVED',
  DECLINED: undefined,
  REFUNDED: 'INSUFFICIENT',
};
const total = (c: Counts) => Object.values(c).reduce((a: number, b) => a + (b ?? 0), 0);

export interface Verdict {
  orders: number;
  terminal: number;
  /** Orders missing a status, an event or a row they must have. */
  lost: string[];
  /** Orders with an event or a row more than once. */
  doubled: string[];
  /** Platform-wide findings: stock, DLQ, outbox. */
  notes: string[];
}

export class Reconciler {
  private readonly codec: EventCodec;

  constructor(
    private readonly pool: Pool,
    private readonly kafka: Kafka,
    private readonly prefix: string,
    registryUrl: string,
  ) {
    const registry = new SchemaRegistryClient({ url: registryUrl });
    this.codec = new EventCodec({
      source: { schemaById: (id) => registry.schemaById(id) },
      parse: avroTypeOf,
      readerSchemas: new Map(EVENT_NAMES.map((e) => [e, loadAvroSchema(e)])),
      writerIds: new Map(),
    });
  }

  private t(service: ServiceName, table: string): string {
    return `${schemaName(service, this.prefix)}.${table}`;
  }

  private async rows<R>(sql: string, params: unknown[] = []): Promise<R[]> {
    return (await this.pool.query(sql, params)).rows as R[];
  }

  /** Orders of `candidates` that the orders service stored (accepted or not: an answer may have been lost). */
  async stored(candidates: string[]): Promise<Set<string>> {
    const rows = await this.rows<{ order_id: string }>(
      `SELECT order_id FROM ${this.t('orders', 'orders')} WHERE order_id = ANY($1)`,
      [candidates],
    );
    return new Set(rows.map((r) => r.order_id));
  }

  /** How many of `orders` have their full history projected in orders, and whether every outbox is empty. */
  async progress(orders: Map<string, Outcome>): Promise<{ settled: number; outbox: number }> {
    const rows = await this.rows<{ order_id: string; n: number }>(
      `SELECT order_id, count(*)::int AS n FROM ${this.t('orders', 'order_events')} WHERE order_id = ANY($1) GROUP BY order_id`,
      [[...orders.keys()]],
    );
    const settled = rows.filter((r) => r.n >= total(EXPECTED_EVENTS[orders.get(r.order_id)!])).length;
    let outbox = 0;
    for (const service of SERVICE_NAMES) {
      const [row] = await this.rows<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${this.t(service, 'outbox')}`,
      );
      outbox += row?.n ?? 0;
    }
    return { settled, outbox };
  }

  async settled(orders: Map<string, Outcome>): Promise<boolean> {
    const { settled, outbox } = await this.progress(orders);
    return settled === orders.size && outbox === 0;
  }

  async reconcile(orders: Map<string, Outcome>): Promise<Verdict> {
    const ids = [...orders.keys()];
    const lost = new Map<string, string[]>();
    const doubled = new Map<string, string[]>();
    const finding = (into: Map<string, string[]>, orderId: string, what: string) =>
      into.set(orderId, [...(into.get(orderId) ?? []), what]);
    const compare = (orderId: string, what: string, actual: number, expected: number) => {
      if (actual < expected) finding(lost, orderId, `${what}: ${actual} of ${expected}`);
      if (actual > expected) finding(doubled, orderId, `${what}: ${actual}, expected ${expected}`);
    };
    const byOrder = <R extends { order_id: string }>(rows: R[]) => {
      const map = new Map<string, R[]>();
      for (const r of rows) map.set(r.order_id, [...(map.get(r.order_id) ?? []), r]);
      return map;
    };

    const status = new Map(
      (
        await this.rows<{ order_id: string; status: string }>(
          `SELECT order_id, status FROM ${this.t('orders', 'orders')} WHERE order_id = ANY($1)`,
          [ids],
        )
      ).map((r) => [r.order_id, r.status]),
    );
    const history = byOrder(
      await this.rows<{ order_id: string; event_type: string; n: number }>(
        `SELECT order_id, event_type, count(DISTINCT event_id)::int AS n FROM ${this.t('orders', 'order_events')} WHERE order_id = ANY($1) GROUP BY 1, 2`,
        [ids],
      ),
    );
    const payments = byOrder(
      await this.rows<{ order_id: string; status: string }>(
        `SELECT order_id, status FROM ${this.t('billing', 'payments')} WHERE order_id = ANY($1)`,
        [ids],
      ),
    );
    const reservations = byOrder(
      await this.rows<{ order_id: string; outcome: string }>(
        `SELECT order_id, outcome FROM ${this.t('inventory', 'reservations')} WHERE order_id = ANY($1)`,
        [ids],
      ),
    );
    const shipments = byOrder(
      await this.rows<{ order_id: string }>(
        `SELECT order_id FROM ${this.t('shipping', 'shipments')} WHERE order_id = ANY($1)`,
        [ids],
      ),
    );
    const emails = byOrder(
      await this.rows<{ order_id: string; kind: string; n: number }>(
        `SELECT order_id, kind, count(*)::int AS n FROM ${this.t('notifications', 'notifications')} WHERE order_id = ANY($1) GROUP BY 1, 2`,
        [ids],
      ),
    );
    const onKafka = await this.eventIdsOnKafka(new Set(ids));

    let terminal = 0;
    for (const [orderId, outcome] of orders) {
      const s = status.get(orderId);
      if (s === outcome) terminal++;
      else finding(lost, orderId, `status ${s ?? 'missing'}, expected ${outcome}`);
      const expected = EXPECTED_EVENTS[outcome];
      for (const type of new Set([...Object.keys(expected), ...(onKafka.get(orderId)?.keys() ?? [])])) {
        compare(
          orderId,
          `${type} on Kafka (distinct eventIds)`,
          onKafka.get(orderId)?.get(type)?.size ?? 0,
          expected[type] ?? 0,
        );
      }
      const projected = new Map((history.get(orderId) ?? []).map((r) => [r.event_type, r.n]));
      for (const type of new Set([...Object.keys(expected), ...projected.keys()])) {
        compare(orderId, `${type} in orders.order_events`, projected.get(type) ?? 0, expected[type] ?? 0);
      }
      const payment = payments.get(orderId) ?? [];
      compare(orderId, 'billing.payments rows', payment.length, 1);
      if (payment[0] && payment[0].status !== PAYMENT[outcome])
        finding(lost, orderId, `payment ${payment[0].status}, expected ${PAYMENT[outcome]}`);
      const reservation = reservations.get(orderId) ?? [];
      compare(orderId, 'inventory.reservations rows', reservation.length, RESERVATION[outcome] ? 1 : 0);
      if (reservation[0] && reservation[0].outcome !== RESERVATION[outcome])
        finding(lost, orderId, `reservation ${reservation[0].outcome}`);
      compare(
        orderId,
        'shipping.shipments rows',
        (shipments.get(orderId) ?? []).length,
        outcome === 'SHIPPED' ? 1 : 0,
      );
      const sent = new Map((emails.get(orderId) ?? []).map((r) => [r.kind, r.n]));
      const expectedEmails = EXPECTED_EMAILS[outcome];
      for (const kind of new Set([...Object.keys(expectedEmails), ...sent.keys()])) {
        compare(orderId, `notifications ${kind}`, sent.get(kind) ?? 0, expectedEmails[kind] ?? 0);
      }
    }

    const notes = [...(await this.stockFindings()), ...(await this.leftovers())];
    const describe = (m: Map<string, string[]>) => [...m].map(([id, what]) => `${id}: ${what.join('; ')}`);
    return { orders: orders.size, terminal, lost: describe(lost), doubled: describe(doubled), notes };
  }

  /** Stock reserved must equal what the shipped orders hold; nothing may appear or vanish. */
  private async stockFindings(): Promise<string[]> {
    const stock = await this.rows<{ item_id: string; available: number; reserved: number }>(
      `SELECT item_id, available, reserved FROM ${this.t('inventory', 'stock')}`,
    );
    const shipped = await this.rows<{ item_id: string; q: string }>(
      `SELECT l->>'itemId' AS item_id, sum((l->>'quantity')::int) AS q
       FROM ${this.t('orders', 'orders')}, jsonb_array_elements(items) AS l WHERE status = 'SHIPPED' GROUP BY 1`,
    );
    const held = new Map(shipped.map((r) => [r.item_id, Number(r.q)]));
    const findings: string[] = [];
    for (const row of stock) {
      const initial = DEMO_CATALOG.find((i) => i.itemId === row.item_id)!.initialStock;
      if (row.reserved !== (held.get(row.item_id) ?? 0))
        findings.push(
          `stock ${row.item_id}: reserved ${row.reserved}, shipped orders hold ${held.get(row.item_id) ?? 0}`,
        );
      if (row.available + row.reserved !== initial)
        findings.push(
          `stock ${row.item_id}: available + reserved = ${row.available + row.reserved}, not ${initial}`,
        );
    }
    return findings;
  }

  /** Nothing may be left in an outbox or have gone to a dead-letter queue. */
  private async leftovers(): Promise<string[]> {
    const findings: string[] = [];
    for (const service of SERVICE_NAMES) {
      const [row] = await this.rows<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${this.t(service, 'outbox')}`,
      );
      if (row?.n) findings.push(`${service} outbox still holds ${row.n} rows`);
    }
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      for (const service of SERVICE_NAMES) {
        const dlq = `${groupOf(service, this.prefix)}.dlq`;
        const offsets = await admin.fetchTopicOffsets(dlq);
        const n = offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
        if (n > 0) findings.push(`${n} messages in ${dlq}`);
      }
    } finally {
      await admin.disconnect();
    }
    return findings;
  }

  /** Reads every event topic of the prefix to its end: orderId → record type → distinct eventIds. */
  private async eventIdsOnKafka(wanted: Set<string>): Promise<Map<string, Map<string, Set<string>>>> {
    const topics = platformTopics(this.prefix).map((t) => t.topic);
    const admin = this.kafka.admin();
    await admin.connect();
    const ends = new Map<string, number>();
    try {
      for (const topic of topics) {
        for (const p of await admin.fetchTopicOffsets(topic))
          ends.set(`${topic}/${p.partition}`, Number(p.high));
      }
    } finally {
      await admin.disconnect();
    }
    const positions = new Map<string, number>();
    const found = new Map<string, Map<string, Set<string>>>();
    const consumer = this.kafka.consumer({
      groupId: `${this.prefix}reconcile-${randomBytes(4).toString('hex')}`,
    });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ topic, partition, message }) => {
          const { type, payload } = await this.codec.decode<{ orderId: string; eventId: string }>(
            message.value,
          );
          if (wanted.has(payload.orderId)) {
            const types = found.get(payload.orderId) ?? new Map<string, Set<string>>();
            found.set(payload.orderId, types);
            const ids = types.get(type) ?? new Set<string>();
            types.set(type as EventName, ids.add(payload.eventId));
          }
          positions.set(`${topic}/${partition}`, Number(message.offset) + 1);
        },
      });
      await waitFor(() => [...ends].every(([tp, end]) => end === 0 || (positions.get(tp) ?? 0) >= end), {
        timeoutMs: 120_000,
        what: 'every event topic read to its end',
      });
    } finally {
      await consumer.disconnect();
    }
    return found;
  }
}
