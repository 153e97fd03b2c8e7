// The services table (services/shared/src/services.ts) is the one list of who consumes what:
// the generated docs read it and every service's handlers are held to it.
import { EVENT_NAMES, consumersOf, defineService, type AppContext, type HandlersOf } from '@orderflow/shared';

const noop = { async batch() {} };
// Building the handler table touches nothing: handlers use the context only when they run.
const app = {} as AppContext;

test('a service that handles an event the table does not list for it fails when its handlers are built', () => {
  const shipping = defineService('shipping', {
    handlers: () => ({ InventoryReserved: noop, EmailSent: noop }) as HandlersOf<'shipping'>,
  });
  expect(() => shipping.handlers(app)).toThrow(
    'shipping handles EmailSent, which the services table does not list',
  );
});

test('a service that handles exactly its events builds its handlers, and produces what the table says', () => {
  const shipping = defineService('shipping', { handlers: () => ({ InventoryReserved: noop }) });
  expect(Object.keys(shipping.handlers(app))).toEqual(['InventoryReserved']);
  expect(shipping.produces).toEqual(['ShippingScheduled']);
});

test('every event is consumed by at least one service, and orders sees every event but its own', () => {
  expect(EVENT_NAMES.filter((event) => consumersOf(event).length === 0)).toEqual([]);
  expect(EVENT_NAMES.filter((event) => !consumersOf(event).includes('orders'))).toEqual(['OrderCreated']);
});
