// The DLQ (rule 1, and rule 4's last step): a message that can never be handled goes to
// `<group>.dlq` with headers naming why and where it came from. Sending is retried until it
// succeeds (or the consumer stops), because the message's offset commits only after it.
import type { Span } from '@opentelemetry/api';
import type { EventMeta, MessageSender, RawMessage } from './types';
import type { PoisonReason } from '../errors';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { dlqTopicOf } from '../topics';
import { recordFailure } from '../tracing';
import { stopping, type Pause } from './retry';

export interface DeadLetters {
  send(
    message: RawMessage,
    meta: EventMeta,
    reason: PoisonReason,
    err: unknown,
    heartbeat: () => Promise<void>,
    /** The span of the message's handling: it records the error. */
    span?: Span,
  ): Promise<void>;
}

export interface DeadLetterDeps {
  group: string;
  sender: MessageSender;
  pause: Pause;
  logger: Logger;
  metrics: Metrics;
}

export function deadLetters({ group, sender, pause, logger, metrics }: DeadLetterDeps): DeadLetters {
  const topic = dlqTopicOf(group);
  return {
    async send(message, meta, reason, err, heartbeat, span) {
      recordFailure(span, err, { 'orderflow.dlq.reason': reason, 'orderflow.dlq.topic': topic });
      const { key, value } = message;
      const ownHeaders = {
        'x-dlq-reason': reason,
        'x-dlq-error': String((err as Error)?.message ?? err).slice(0, 1000),
        'x-dlq-source-topic': meta.topic,
        'x-dlq-source-partition': String(meta.partition),
        'x-dlq-source-offset': meta.offset,
        'x-dlq-consumer-group': group,
        'x-dlq-failed-at': new Date().toISOString(),
      };
      const headers = { ...meta.headers, ...ownHeaders };
      // A message about as large as the broker takes no longer fits once the DLQ headers are added:
      // then it goes without its value (the source offset still points at it), and if need be
      // without its original headers too, instead of being retried for ever.
      const dropped = { 'x-dlq-value-dropped': `${value?.length ?? 0} bytes: too large for the DLQ` };
      const shapes = [
        { key, value, headers },
        { key, value: null, headers: { ...headers, ...dropped } },
        { key, value: null, headers: { ...ownHeaders, ...dropped } },
      ];
      let shape = 0;
      for (let attempt = 1; ; attempt++) {
        try {
          await sender.send(topic, shapes[shape]!);
          break;
        } catch (sendErr) {
          if (tooLarge(sendErr) && shape < shapes.length - 1) {
            shape++;
            continue;
          }
          if (!(await pause('dlq', sendErr, attempt, heartbeat))) throw stopping(sendErr);
        }
      }
      metrics.dlqMessages.inc({ topic: meta.topic, reason });
      logger.warn(
        {
          reason,
          err: headers['x-dlq-error'],
          topic: meta.topic,
          partition: meta.partition,
          offset: meta.offset,
          eventId: meta.eventId || undefined,
          dlq: topic,
        },
        'message sent to the DLQ',
      );
    },
  };
}

/** Whether Kafka refused a message (or batch) for its size: sending it again cannot help. */
function tooLarge(err: unknown): boolean {
  for (
    let e = err as { type?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 5;
    e = e.cause as typeof e, depth++
  ) {
    if (e.type === 'MESSAGE_TOO_LARGE' || e.type === 'RECORD_LIST_TOO_LARGE') return true;
  }
  return false;
}
