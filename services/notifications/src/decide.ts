// Notifications' rule as a pure function: when a payment or shipment event arrives, the email
// to send and the EmailSent that records it. Time and ids are passed in.
import { envelope, type Produced, type Stamps } from '@orderflow/shared';
import { composeEmail, type Email, type Source } from './compose';

export interface Notification {
  notificationId: string;
  email: Email;
  event: Produced<'notifications'>;
}

export function decideNotification(source: Source, stamps: Stamps): Notification {
  const email = composeEmail(source);
  const notificationId = stamps.newId();
  return {
    notificationId,
    email,
    event: {
      type: 'EmailSent',
      payload: {
        ...envelope(source.event.orderId, stamps),
        notificationId,
        to: email.to,
        kind: email.kind,
        subject: email.subject,
      },
    },
  };
}
