// Names derived from the services table (services.ts): topics, subjects, consumer groups and
// DLQs. `npm run topics:create`, the local stack, docker-compose's topic job, schema
// registration and the services all read them from here.
import { SERVICES, producerOf, type EventName, type ServiceName } from './services';

export {
  SERVICES,
  SERVICE_NAMES,
  EVENT_NAMES,
  producerOf,
  consumersOf,
  mapServices,
  defineService,
  type ServiceName,
  type EventName,
  type ProducedBy,
  type ConsumedBy,
  type HandlersOf,
  type Produced,
} from './services';

export const EVENT_NAMESPACE = 'orderflow.events';

export const TOPIC_DEFAULTS = {
  partitions: 6,
  retentionMs: 7 * 24 * 60 * 60 * 1000,
};

/** A topic's name under a prefix; tests use a fresh prefix per run so runs never meet. */
export function topicOf(event: EventName, prefix = ''): string {
  return prefix + SERVICES[producerOf(event)].topic;
}

/** A consumer group's dead-letter topic: the one place its name is built. */
export function dlqTopicOf(consumerGroup: string): string {
  return `${consumerGroup}.dlq`;
}

/** A service's consumer group; its DLQ is dlqTopicOf(group). */
export function groupOf(service: ServiceName, prefix = ''): string {
  return `${prefix}orderflow.${service}`;
}

/** The topics one service touches, by what it does with them: the topic it writes and the DLQ of
 * its consumer group (when it consumes), the topics it reads, and that group. Its startup creates
 * only these, and its Kafka ACLs (acls.ts) grant only these. */
export interface ServiceTopics {
  writes: string[];
  reads: string[];
  group?: string;
}

export function topicsOfService(service: ServiceName, prefix = ''): ServiceTopics {
  const { topic, consumes } = SERVICES[service];
  const reads = [...new Set(consumes.map((event: EventName) => topicOf(event, prefix)))];
  if (reads.length === 0) return { writes: [prefix + topic], reads };
  const group = groupOf(service, prefix);
  return { writes: [prefix + topic, dlqTopicOf(group)], reads, group };
}
