// CONSUMES (services/shared/src/topics.ts) is the one consumer table the generated docs read;
// the services subscribe to what their handlers name. These stay equal.
import {
  CONSUMES,
  EVENT_NAMES,
  SERVICE_NAMES,
  consumersOf,
  type AppContext,
  type ServiceDefinition,
  type ServiceName,
} from '@orderflow/shared';
import { billing } from '../../services/billing/src/service';
import { inventory } from '../../services/inventory/src/service';
import { notifications } from '../../services/notifications/src/service';
import { orders } from '../../services/orders/src/service';
import { shipping } from '../../services/shipping/src/service';

const definitions: Record<ServiceName, ServiceDefinition> = {
  orders,
  billing: billing(100_000),
  inventory,
  shipping,
  notifications: notifications({ MAIL_FROM: 'orderflow <orders@orderflow.invalid>' }),
};

test.each(SERVICE_NAMES)('%s handles exactly the events CONSUMES lists for it', (service) => {
  // Building the handler table touches nothing: handlers use the context only when they run.
  const handled = Object.keys(definitions[service].handlers({} as AppContext));
  expect(handled.sort()).toEqual([...CONSUMES[service]].sort());
});

test('every event is consumed by at least one service, and orders sees every event but its own', () => {
  expect(EVENT_NAMES.filter((event) => consumersOf(event).length === 0)).toEqual([]);
  expect(EVENT_NAMES.filter((event) => !consumersOf(event).includes('orders'))).toEqual(['OrderCreated']);
});
