// What the customer is told, as a pure function of the event.
import type { PaymentCaptured, PaymentDeclined, PaymentRefunded, ShippingScheduled } from '@orderflow/shared';

export type EmailKind = 'PAYMENT_CAPTURED' | 'PAYMENT_DECLINED' | 'PAYMENT_REFUNDED' | 'SHIPPING_SCHEDULED';

export interface Email {
  kind: EmailKind;
  to: string;
  subject: string;
  text: string;
}

export type Source =
  | { kind: 'PAYMENT_CAPTURED'; event: PaymentCaptured }
  | { kind: 'PAYMENT_DECLINED'; event: PaymentDeclined }
  | { kind: 'PAYMENT_REFUNDED'; event: PaymentRefunded }
  | { kind: 'SHIPPING_SCHEDULED'; event: ShippingScheduled };

/** A customer without an email address is written to at a placeholder that never delivers. */
export function recipientOf(event: { customerId: string; email?: string | null }): string {
  return event.email ?? `${event.customerId.replace(/[^A-Za-z0-9._-]/g, '_')}@customers.invalid`;
}

export function money(cents: number, currency: string): string {
  return `${(cents / 100).toFixed(2)} ${currency}`;
}

export function composeEmail(source: Source): Email {
  const { event } = source;
  const to = recipientOf(event);
  switch (source.kind) {
    case 'PAYMENT_CAPTURED':
      return {
        kind: source.kind,
        to,
        subject: `Payment received for order ${event.orderId}`,
        text: `We charged ${money(source.event.amountCents, source.event.currency)} for order ${event.orderId}.`,
      };
    case 'PAYMENT_DECLINED':
      return {
        kind: source.kind,
        to,
        subject: `Payment declined for order ${event.orderId}`,
        text: `We could not charge ${money(source.event.amountCents, source.event.currency)} for order ${event.orderId} (${source.event.reason}). Nothing was charged.`,
      };
    case 'PAYMENT_REFUNDED':
      return {
        kind: source.kind,
        to,
        subject: `Refund for order ${event.orderId}`,
        text: `Some items of order ${event.orderId} are out of stock; we refunded ${money(source.event.amountCents, source.event.currency)}.`,
      };
    case 'SHIPPING_SCHEDULED':
      return {
        kind: source.kind,
        to,
        subject: `Order ${event.orderId} ships soon`,
        text: `${source.event.carrier} picks up order ${event.orderId} on ${source.event.scheduledFor.slice(0, 10)}.`,
      };
    default: {
      const unreachable: never = source;
      throw new Error(`no email for ${JSON.stringify(unreachable)}`);
    }
  }
}
