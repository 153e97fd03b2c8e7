// The one table of topics: `npm run topics:create`, the local stack, docker-compose's
// topic job, schema registration and the services all read it from here.

export const EVENT_NAMESPACE = 'orderflow.events';

export const TOPICS = {
  orders: { topic: 'orders.events', events: ['OrderCreated'] },
  billing: { topic: 'billing.events', events: ['PaymentCaptured', 'PaymentDeclined', 'PaymentRefunded'] },
  inventory: { topic: 'inventory.events', events: ['InventoryReserved', 'InventoryInsufficient'] },
  shipping: { topic: 'shipping.events', events: ['ShippingScheduled'] },
  notifications: { topic: 'notifications.events', events: ['EmailSent'] },
} as const;

export type ProducingService = keyof typeof TOPICS;
export type EventName = (typeof TOPICS)[ProducingService]['events'][number];

export const TOPIC_DEFAULTS = {
  partitions: 6,
  replicationFactor: 1,
  retentionMs: 7 * 24 * 60 * 60 * 1000,
};

/** Every event name, in saga order. */
export const EVENT_NAMES: readonly EventName[] = Object.values(TOPICS).flatMap((t) => t.events);

/** The service whose topic carries an event. */
export function producerOf(event: EventName): ProducingService {
  for (const [service, { events }] of Object.entries(TOPICS)) {
    if ((events as readonly string[]).includes(event)) return service as ProducingService;
  }
  throw new Error(`no topic carries ${event}`);
}

/** A topic's name under a prefix; tests use a fresh prefix per run so runs never meet. */
export function topicOf(event: EventName, prefix = ''): string {
  return prefix + TOPICS[producerOf(event)].topic;
}

export function dlqTopicOf(consumerGroup: string): string {
  return `${consumerGroup}.dlq`;
}

export const SERVICE_NAMES = ['orders', 'billing', 'inventory', 'shipping', 'notifications'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** A service's consumer group; its DLQ is `<group>.dlq`. */
export function groupOf(service: ServiceName, prefix = ''): string {
  return `${prefix}orderflow.${service}`;
}

/**
 * What each service consumes: exactly the `handlers` of services/<name>/src/service.ts (a unit
 * test holds them equal). docs/asyncapi.yaml's receive operations and docs/events.md are
 * generated from it.
 */
export const CONSUMES: Readonly<Record<ServiceName, readonly EventName[]>> = {
  orders: EVENT_NAMES.filter((event) => event !== 'OrderCreated'), // projects every other event
  billing: ['OrderCreated', 'InventoryInsufficient'],
  inventory: ['PaymentCaptured'],
  shipping: ['InventoryReserved'],
  notifications: ['PaymentCaptured', 'PaymentDeclined', 'PaymentRefunded', 'ShippingScheduled'],
};

/** The services that consume an event, in SERVICE_NAMES order. */
export function consumersOf(event: EventName): ServiceName[] {
  return SERVICE_NAMES.filter((service) => CONSUMES[service].includes(event));
}
