// A steady stream of orders over HTTP (loopback only), bounded in count and time. Each order's
// content fixes its outcome, so the reconciliation knows what every accepted order must become.
import { randomUUID } from 'node:crypto';
import { setInterval as every } from 'node:timers/promises';

export type Outcome = 'SHIPPED' | 'DECLINED' | 'REFUNDED';

export interface SentOrder {
  orderId: string;
  outcome: Outcome;
  items: { itemId: string; quantity: number }[];
  sentAt: number;
  /** HTTP status, 'error' (no answer: connection failed) or 'timeout' (no answer in time). */
  status?: number | 'error' | 'timeout';
  answeredAt?: number;
  /** The JSON body of an answer other than 201 (undefined when it was not JSON). */
  body?: unknown;
}

/**
 * The order of index i: mostly shipped; an espresso machine is over the payment limit
 * (declined); six signed prints are more than the five in stock (paid, then refunded).
 */
export function orderOf(i: number, allowRefunds = true): SentOrder {
  const slot = i % 10;
  const base = { orderId: `fault-${randomUUID()}`, sentAt: 0 };
  if (slot === 7 || slot === 8)
    return { ...base, outcome: 'DECLINED', items: [{ itemId: 'espresso-machine', quantity: 1 }] };
  if (slot === 9 && allowRefunds)
    return { ...base, outcome: 'REFUNDED', items: [{ itemId: 'limited-print', quantity: 6 }] };
  const items = [{ itemId: 'ceramic-mug', quantity: 1 + (i % 3) }];
  if (i % 2 === 0) items.push({ itemId: 'espresso-beans-1kg', quantity: 1 });
  return { ...base, outcome: 'SHIPPED', items };
}

export interface LoadOptions {
  url: string;
  perSecond: number;
  /** Hard bounds: the load stops by itself at either. */
  maxOrders: number;
  maxMs: number;
  requestTimeoutMs?: number;
  /** The customer's `Authorization: Bearer …` (the services run with auth on, as deployed). */
  authorization: string;
}

/** Every order of the fault suite is this customer's. */
export const FAULTS_CUSTOMER = 'c-faults';

export class OrderLoad {
  readonly sent: SentOrder[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stopper = new AbortController();
  private loop: Promise<void> | undefined;
  private index = 0;
  /** Refund orders still to send; past it they are replaced by shipped ones (to hold back a record type). */
  refundsAllowed = Infinity;

  constructor(private readonly options: LoadOptions) {}

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await this.loop;
    await Promise.all([...this.inFlight]);
  }

  accepted(): SentOrder[] {
    return this.sent.filter((o) => typeof o.status === 'number' && o.status >= 200 && o.status < 300);
  }

  answered(predicate: (o: SentOrder) => boolean): number {
    return this.sent.filter((o) => o.status !== undefined && predicate(o)).length;
  }

  private async run(): Promise<void> {
    const { perSecond, maxOrders, maxMs } = this.options;
    const until = Date.now() + maxMs;
    try {
      for await (const _tick of every(1000 / perSecond, undefined, { signal: this.stopper.signal })) {
        if (this.sent.length >= maxOrders || Date.now() > until) return;
        const order = orderOf(this.index++, this.refundsAllowed > 0);
        if (order.outcome === 'REFUNDED') this.refundsAllowed--;
        const request = this.send(order);
        this.inFlight.add(request);
        void request.finally(() => this.inFlight.delete(request));
      }
    } catch (e) {
      if ((e as Error).name !== 'AbortError') throw e;
    }
  }

  private async send(order: SentOrder): Promise<void> {
    order.sentAt = Date.now();
    this.sent.push(order);
    try {
      const res = await fetch(`${this.options.url}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: this.options.authorization },
        body: JSON.stringify({
          orderId: order.orderId,
          customerId: FAULTS_CUSTOMER,
          email: 'faults@example.com',
          items: order.items,
        }),
        signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 15_000),
      });
      const text = await res.text();
      order.status = res.status;
      if (res.status !== 201) order.body = parseJson(text);
    } catch (e) {
      order.status = (e as Error).name === 'TimeoutError' ? 'timeout' : 'error';
    }
    order.answeredAt = Date.now();
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
