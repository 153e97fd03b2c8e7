// The one table of orderflow's services: each one's HTTP port, the topic it writes, the events
// it produces and the events it consumes. Topics, consumer groups, DLQs, schema registration,
// the local stack, the tests' platform, the bench and the compose checks all derive from it;
// adding a service starts here (README, "Adding a service").
import type { EventPayloads } from './contracts/events.generated';
import type { BatchHandler, Handler } from './consumer';
import type { AppContext, ServiceDefinition } from './service';

interface ServiceRow<Event extends string> {
  /** Default HTTP port (PORT overrides it). */
  port: number;
  /** The one topic the service writes; every event it produces travels on it. */
  topic: string;
  produces: readonly Event[];
  consumes: readonly Event[];
}

/** Every event some row produces. */
type ProducedIn<T> = {
  [N in keyof T]: T[N] extends { produces: readonly (infer E extends string)[] } ? E : never;
}[keyof T];

/** Holds the table as written (literal names) and refuses, at compile time, a consumed event nobody produces. */
function serviceTable<const T extends { [N in keyof T]: ServiceRow<ProducedIn<T>> }>(table: T): T {
  return table;
}

export const SERVICES = serviceTable({
  orders: {
    port: 3000,
    topic: 'orders.events',
    produces: ['OrderCreated'],
    // Projects every other event into an order's status and history.
    consumes: [
      'PaymentCaptured',
      'PaymentDeclined',
      'PaymentRefunded',
      'InventoryReserved',
      'InventoryInsufficient',
      'ShippingScheduled',
      'EmailSent',
    ],
  },
  billing: {
    port: 3001,
    topic: 'billing.events',
    produces: ['PaymentCaptured', 'PaymentDeclined', 'PaymentRefunded'],
    consumes: ['OrderCreated', 'InventoryInsufficient'],
  },
  inventory: {
    port: 3002,
    topic: 'inventory.events',
    produces: ['InventoryReserved', 'InventoryInsufficient'],
    consumes: ['PaymentCaptured'],
  },
  shipping: {
    port: 3003,
    topic: 'shipping.events',
    produces: ['ShippingScheduled'],
    consumes: ['InventoryReserved'],
  },
  notifications: {
    port: 3004,
    topic: 'notifications.events',
    produces: ['EmailSent'],
    consumes: ['PaymentCaptured', 'PaymentDeclined', 'PaymentRefunded', 'ShippingScheduled'],
  },
});

export type ServiceName = keyof typeof SERVICES;
export type EventName = ProducedIn<typeof SERVICES>;
/** The events one service produces / consumes. */
export type ProducedBy<N extends ServiceName> = (typeof SERVICES)[N]['produces'][number];
export type ConsumedBy<N extends ServiceName> = (typeof SERVICES)[N]['consumes'][number];

function isServiceName(name: string): name is ServiceName {
  return Object.hasOwn(SERVICES, name);
}

/** Every service, in the table's (saga) order. */
export const SERVICE_NAMES: readonly ServiceName[] = Object.keys(SERVICES).filter(isServiceName);

/** A value for every service, in table order. */
export function mapServices<T>(value: (service: ServiceName) => T): Record<ServiceName, T> {
  // Object.fromEntries forgets its keys; SERVICE_NAMES holds every key of the table.
  return Object.fromEntries(SERVICE_NAMES.map((s) => [s, value(s)])) as Record<ServiceName, T>;
}

/** Every event name, in saga order. */
export const EVENT_NAMES: readonly EventName[] = SERVICE_NAMES.flatMap((s) => SERVICES[s].produces);

/** The service whose topic carries an event. */
export function producerOf(event: EventName): ServiceName {
  const producer = SERVICE_NAMES.find((s) => SERVICES[s].produces.some((e) => e === event));
  if (!producer) throw new Error(`no service produces ${event}`);
  return producer;
}

/** The services that consume an event, in table order. */
export function consumersOf(event: EventName): ServiceName[] {
  return SERVICE_NAMES.filter((s) => SERVICES[s].consumes.some((e) => e === event));
}

/**
 * A service's handlers: exactly one for each event the table says it consumes, so a handler
 * missing from the table (or from the service) fails to compile.
 */
export type HandlersOf<N extends ServiceName> = {
  [E in ConsumedBy<N>]: Handler<E> | BatchHandler<E>;
};

/** An event a service may publish, as its decider returns it. */
export type Produced<N extends ServiceName> = {
  [E in ProducedBy<N>]: { type: E; payload: EventPayloads[E] };
}[ProducedBy<N>];

type DefinitionParts<N extends ServiceName> = Omit<ServiceDefinition, 'name' | 'produces' | 'handlers'> & {
  handlers: (app: AppContext) => HandlersOf<N>;
};

/**
 * A service's definition: what it produces comes from the table; its handlers are checked
 * against the table's `consumes` by type (none missing) and when built (none extra, which
 * the type alone lets through).
 */
export function defineService<N extends ServiceName>(name: N, parts: DefinitionParts<N>): ServiceDefinition {
  const consumes: readonly string[] = SERVICES[name].consumes;
  return {
    ...parts,
    name,
    produces: [...SERVICES[name].produces],
    handlers(app) {
      const handlers = parts.handlers(app);
      const extra = Object.keys(handlers).filter((event) => !consumes.includes(event));
      if (extra.length > 0)
        throw new Error(`${name} handles ${extra.join(', ')}, which the services table does not list`);
      return handlers;
    },
  };
}
