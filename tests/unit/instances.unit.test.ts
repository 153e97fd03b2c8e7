// `npm start -- --instances billing=2,inventory=2` and ORDERFLOW_INSTANCES: how many of each
// service run, on which ports, under which labels, and the clear error for a bad value.
import { DEFAULT_PORTS, type ServiceName } from '@orderflow/shared';
import { instancesArgument, parseInstances, planInstances } from '../../scripts/instances';

const defaultPort = (service: ServiceName) => DEFAULT_PORTS[service];

test('without a setting, one instance of each service on its own port', () => {
  const plan = planInstances(parseInstances(undefined), defaultPort);
  expect(plan.map((i) => [i.label, i.port])).toEqual([
    ['orders', 3000],
    ['billing', 3001],
    ['inventory', 3002],
    ['shipping', 3003],
    ['notifications', 3004],
  ]);
});

test('billing=2,inventory=3 adds labelled instances, each 100 ports above the one before', () => {
  const plan = planInstances(parseInstances('billing=2, inventory=3'), defaultPort);
  expect(plan.filter((i) => i.service !== 'orders').map((i) => [i.label, i.port])).toEqual([
    ['billing', 3001],
    ['billing-2', 3101],
    ['inventory', 3002],
    ['inventory-2', 3102],
    ['inventory-3', 3202],
    ['shipping', 3003],
    ['notifications', 3004],
  ]);
  expect(new Set(plan.map((i) => i.port)).size).toBe(plan.length);
});

test('a bad value names every problem and the valid services', () => {
  expect(() => parseInstances('biling=2,inventory=0,shipping,orders=7')).toThrow(
    'bad instances "biling=2,inventory=0,shipping,orders=7": "biling" is not a service (orders, billing, inventory, shipping, notifications); inventory=0: between 1 and 6 (its topics\' partitions); "shipping" is not <service>=<count>; orders=7: between 1 and 6 (its topics\' partitions)',
  );
  expect(() => parseInstances('billing=2,billing=3')).toThrow('billing is named twice');
});

test('two instances that would share a port are refused', () => {
  // INVENTORY_PORT=3101: billing's second instance would land on it.
  const ports = (service: ServiceName) => (service === 'inventory' ? 3101 : defaultPort(service));
  expect(() => planInstances(parseInstances('billing=2'), ports)).toThrow(
    'inventory and billing-2 would both listen on 3101',
  );
});

test('--instances wins over ORDERFLOW_INSTANCES, in either spelling', () => {
  const env = { ORDERFLOW_INSTANCES: 'shipping=2' };
  expect(instancesArgument(['--instances', 'billing=2'], env)).toBe('billing=2');
  expect(instancesArgument(['--instances=billing=3'], env)).toBe('billing=3');
  expect(instancesArgument([], env)).toBe('shipping=2');
  expect(() => instancesArgument(['--instances'], env)).toThrow('--instances needs a value');
});
