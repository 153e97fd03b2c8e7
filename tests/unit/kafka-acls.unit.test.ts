// The Kafka ACLs that `npm run kafka:acls` prints and applies, derived from the services table.
import {
  SERVICES,
  SERVICE_NAMES,
  aclLines,
  aclsToPrune,
  platformAcls,
  servicePrincipal,
  serviceTopics,
  type KafkaAcl,
} from '@orderflow/shared';

const W = 'WRITE,DESCRIBE,DESCRIBE_CONFIGS';
const R = 'READ,DESCRIBE,DESCRIBE_CONFIGS';

test('given the services table, the ACL list is exactly: each service writes its topic and DLQ, reads what it consumes and its own group', () => {
  const lines = aclLines(platformAcls('p-')).map((line) => line.split(/\s{2,}/).join(' '));
  expect(lines).toEqual([
    `User:orderflow-orders topic p-orders.events ${W}`,
    `User:orderflow-orders topic p-orderflow.orders.dlq ${W}`,
    `User:orderflow-orders topic p-billing.events ${R}`,
    `User:orderflow-orders topic p-inventory.events ${R}`,
    `User:orderflow-orders topic p-shipping.events ${R}`,
    `User:orderflow-orders topic p-notifications.events ${R}`,
    'User:orderflow-orders group p-orderflow.orders READ',
    `User:orderflow-billing topic p-billing.events ${W}`,
    `User:orderflow-billing topic p-orderflow.billing.dlq ${W}`,
    `User:orderflow-billing topic p-orders.events ${R}`,
    `User:orderflow-billing topic p-inventory.events ${R}`,
    'User:orderflow-billing group p-orderflow.billing READ',
    `User:orderflow-inventory topic p-inventory.events ${W}`,
    `User:orderflow-inventory topic p-orderflow.inventory.dlq ${W}`,
    `User:orderflow-inventory topic p-billing.events ${R}`,
    'User:orderflow-inventory group p-orderflow.inventory READ',
    `User:orderflow-shipping topic p-shipping.events ${W}`,
    `User:orderflow-shipping topic p-orderflow.shipping.dlq ${W}`,
    `User:orderflow-shipping topic p-inventory.events ${R}`,
    'User:orderflow-shipping group p-orderflow.shipping READ',
    `User:orderflow-notifications topic p-notifications.events ${W}`,
    `User:orderflow-notifications topic p-orderflow.notifications.dlq ${W}`,
    `User:orderflow-notifications topic p-billing.events ${R}`,
    `User:orderflow-notifications topic p-shipping.events ${R}`,
    'User:orderflow-notifications group p-orderflow.notifications READ',
  ]);
});

test('no service may write another service’s topic, create or delete anything, or act on the cluster', () => {
  const acls = platformAcls();
  const writes = (acl: KafkaAcl) => acl.operation === 'WRITE';
  for (const service of SERVICE_NAMES) {
    const written = acls
      .filter((acl) => acl.principal === servicePrincipal(service) && writes(acl))
      .map((acl) => acl.resourceName);
    expect([service, written]).toEqual([service, [SERVICES[service].topic, `orderflow.${service}.dlq`]]);
  }
  expect(new Set(acls.map((acl) => acl.operation))).toEqual(
    new Set(['READ', 'WRITE', 'DESCRIBE', 'DESCRIBE_CONFIGS']),
  );
  expect(new Set(acls.map((acl) => acl.resourceType))).toEqual(new Set(['TOPIC', 'GROUP']));
});

test('every topic a service touches at startup is one its ACLs let it describe, so a service under ACLs can start', () => {
  const acls = platformAcls('p-');
  for (const service of SERVICE_NAMES) {
    const describable = acls
      .filter((acl) => acl.principal === servicePrincipal(service) && acl.operation === 'DESCRIBE')
      .map((acl) => acl.resourceName);
    const touched = serviceTopics(service, 'p-').map((t) => t.topic);
    expect([service, [...touched].sort()]).toEqual([service, [...describable].sort()]);
  }
});

test('applying the same list twice adds nothing: each ACL is listed once', () => {
  const keys = platformAcls().map((acl) => JSON.stringify(acl));
  expect(new Set(keys).size).toBe(keys.length);
});

test('given a held ACL the table no longer implies, prune deletes it, and nothing of other principals, other prefixes or unknown resources', () => {
  const wanted = platformAcls('p-');
  const acl = (
    principal: string,
    resourceName: string,
    operation: KafkaAcl['operation'] = 'READ',
  ): KafkaAcl => ({
    principal,
    resourceType: 'TOPIC',
    resourceName,
    operation,
  });
  const billing = servicePrincipal('billing');
  const stale = [
    acl(billing, 'p-shipping.events'), // an input billing no longer reads
    acl(servicePrincipal('shipping'), 'p-billing.events', 'WRITE'), // a write the table never gave
  ];
  const leftAlone = [
    acl(billing, 'q-shipping.events'), // another TOPIC_PREFIX's deployment on the same cluster
    acl('User:someone-else', 'p-shipping.events'), // not a service's principal
    acl('User:orderflow', 'p-billing.events', 'WRITE'), // the admin's
    acl(billing, 'p-retired.events'), // a topic the table does not know: left for a person to judge
  ];

  expect(aclsToPrune([...wanted, ...stale, ...leftAlone], wanted)).toEqual(stale);
  expect(aclsToPrune(wanted, wanted)).toEqual([]);
});
