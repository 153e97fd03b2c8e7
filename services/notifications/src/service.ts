// notifications: tells the customer about payments, refunds and shipments, and records
// an EmailSent for each. Mail goes through SMTP when SMTP_URL is set, else to the log.
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import {
  env,
  LIVE_STAMPS,
  ValidationError,
  type BatchHandler,
  defineService,
  type EventPayloads,
  type ServiceDefinition,
  serviceModule,
  readableCustomer,
} from '@orderflow/shared';
import type { Source } from './compose';
import { decideNotification } from './decide';

interface NotificationRow {
  notification_id: string;
  order_id: string;
  kind: string;
  recipient: string;
  subject: string;
  sent_at: Date;
}

export function notifications(config: { SMTP_URL?: string; MAIL_FROM: string }): ServiceDefinition {
  const transport = config.SMTP_URL ? nodemailer.createTransport(config.SMTP_URL) : undefined;

  // One INSERT for the run; the notification ids it returns are the emails to send now.
  function notifyAll<
    E extends 'PaymentCaptured' | 'PaymentDeclined' | 'PaymentRefunded' | 'ShippingScheduled',
  >(sourceOf: (event: EventPayloads[E]) => Source): BatchHandler<E> {
    return {
      async batch(items, tx) {
        const notes = items.map(({ event, ctx }) => ({
          source: event,
          ctx,
          ...decideNotification(sourceOf(event), LIVE_STAMPS),
        }));
        const { rows } = await tx.query<{ notification_id: string }>(
          `INSERT INTO notifications (notification_id, source_event_id, order_id, kind, recipient, subject, body, customer_id)
           SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
           ON CONFLICT (source_event_id) DO NOTHING RETURNING notification_id`,
          [
            notes.map((n) => n.notificationId),
            notes.map((n) => n.source.eventId),
            notes.map((n) => n.source.orderId),
            notes.map((n) => n.email.kind),
            notes.map((n) => n.email.to),
            notes.map((n) => n.email.subject),
            notes.map((n) => n.email.text),
            notes.map((n) => n.source.customerId),
          ],
        );
        const fresh = new Set(rows.map((r) => r.notification_id));
        for (const { ctx, email, notificationId, event } of notes) {
          if (!fresh.has(notificationId)) continue;
          const { log, publish } = ctx;
          // Sent before the transaction commits: a crash in between re-sends (at least once), never skips.
          if (transport)
            await transport.sendMail({
              from: config.MAIL_FROM,
              to: email.to,
              subject: email.subject,
              text: email.text,
            });
          else log.info({ to: email.to, subject: email.subject }, 'email (no SMTP_URL set, logged only)');
          publish(event.type, event.payload);
        }
      },
    };
  }

  return defineService('notifications', {
    migrations: join(__dirname, 'migrations'),
    handlers: () => ({
      PaymentCaptured: notifyAll<'PaymentCaptured'>((event) => ({ kind: 'PAYMENT_CAPTURED', event })),
      PaymentDeclined: notifyAll<'PaymentDeclined'>((event) => ({ kind: 'PAYMENT_DECLINED', event })),
      PaymentRefunded: notifyAll<'PaymentRefunded'>((event) => ({ kind: 'PAYMENT_REFUNDED', event })),
      ShippingScheduled: notifyAll<'ShippingScheduled'>((event) => ({ kind: 'SHIPPING_SCHEDULED', event })),
    }),
    routes(router, { db }) {
      router.get('/notifications', async (ctx) => {
        const orderId = ctx.query.orderId;
        if (Array.isArray(orderId))
          throw new ValidationError('orderId may be given once', {
            details: [{ path: '/orderId', message: 'repeated' }],
          });
        const { rows } = await db.query<NotificationRow>(
          // A customer sees only their own; another customer's order reads as having none.
          `SELECT * FROM notifications WHERE ($1::text IS NULL OR order_id = $1)
             AND ($2::text IS NULL OR customer_id = $2) ORDER BY sent_at DESC LIMIT 100`,
          [orderId ?? null, readableCustomer(ctx)],
        );
        ctx.body = {
          notifications: rows.map((n) => ({
            notificationId: n.notification_id,
            orderId: n.order_id,
            kind: n.kind,
            to: n.recipient,
            subject: n.subject,
            sentAt: n.sent_at.toISOString(),
          })),
        };
      });
    },
  });
}

export const { readConfig, start } = serviceModule(
  'notifications',
  {
    SMTP_URL: env.optionalUrl(['smtp:', 'smtps:']),
    MAIL_FROM: env.text('orderflow <orders@orderflow.invalid>'),
  },
  (own) => notifications(own),
);
