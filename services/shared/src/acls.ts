// Kafka least privilege, derived from the services table: each service logs in as a principal of
// its own and may write only its topic and its DLQ, read only the topics it consumes, and join only
// its own consumer group. `npm run kafka:acls` prints these and applies them (acl-admin.ts), and
// with `--prune` deletes those of the services' principals that the table no longer implies.
//
// What is not granted, and why it is not needed:
// - IDEMPOTENT_WRITE on the cluster: the outbox relay's producer is idempotent, not transactional;
//   since Kafka 3.0 (KIP-679) WRITE on a topic is enough to get a producer id.
// - TRANSACTIONAL_ID: no service uses Kafka transactions (exactly-once comes from the outbox and inbox).
// - CREATE: topics are created by the admin principal (a super user) with `topics:create`; a
//   service's startup only checks that the topics it touches exist.
import { SERVICE_NAMES, topicsOfService, type ServiceName } from './topics';

export type AclOperation = 'READ' | 'WRITE' | 'DESCRIBE' | 'DESCRIBE_CONFIGS';
export type AclResourceType = 'TOPIC' | 'GROUP';

/** One ALLOW rule on one literally named resource, from any host. */
export interface KafkaAcl {
  principal: string;
  resourceType: AclResourceType;
  resourceName: string;
  operation: AclOperation;
}

/** The SCRAM user a service logs in as (its KAFKA_SASL_USERNAME). */
export function serviceUsername(service: ServiceName): string {
  return `orderflow-${service}`;
}

export function servicePrincipal(service: ServiceName): string {
  return `User:${serviceUsername(service)}`;
}

// DESCRIBE_CONFIGS: a service's startup reads min.insync.replicas of the topics it touches, to warn
// when they are replicated less than configured (admin.ts).
const WRITES: readonly AclOperation[] = ['WRITE', 'DESCRIBE', 'DESCRIBE_CONFIGS'];
const READS: readonly AclOperation[] = ['READ', 'DESCRIBE', 'DESCRIBE_CONFIGS'];

/** One service's ACLs: WRITE on its topic and DLQ, READ on the topics it consumes and on its group. */
export function serviceAcls(service: ServiceName, prefix = ''): KafkaAcl[] {
  const principal = servicePrincipal(service);
  const { writes, reads, group } = topicsOfService(service, prefix);
  const on = (resourceType: AclResourceType, names: string[], operations: readonly AclOperation[]) =>
    names.flatMap((resourceName) =>
      operations.map((operation) => ({ principal, resourceType, resourceName, operation })),
    );
  return [
    ...on('TOPIC', writes, WRITES),
    ...on('TOPIC', reads, READS),
    ...on('GROUP', group ? [group] : [], ['READ']),
  ];
}

/** Every service's ACLs, in table order. */
export function platformAcls(prefix = ''): KafkaAcl[] {
  return SERVICE_NAMES.flatMap((service) => serviceAcls(service, prefix));
}

/** One line per principal and resource, naming the operations allowed on it, in the order given. */
export function aclLines(acls: readonly KafkaAcl[]): string[] {
  const grouped = new Map<string, { acl: KafkaAcl; operations: AclOperation[] }>();
  for (const acl of acls) {
    const key = [acl.principal, acl.resourceType, acl.resourceName].join('\u0000');
    const entry = grouped.get(key) ?? { acl, operations: [] };
    entry.operations.push(acl.operation);
    grouped.set(key, entry);
  }
  const width = (of: (acl: KafkaAcl) => string) => Math.max(0, ...acls.map((acl) => of(acl).length));
  const principals = width((acl) => acl.principal);
  const names = width((acl) => acl.resourceName);
  return [...grouped.values()].map(({ acl, operations }) =>
    [
      acl.principal.padEnd(principals),
      acl.resourceType.toLowerCase().padEnd(5),
      acl.resourceName.padEnd(names),
      operations.join(','),
    ].join('  '),
  );
}

/** Tells ACLs apart: the same principal, resource and operation are the same rule. */
export const aclKey = (acl: KafkaAcl): string =>
  [acl.principal, acl.resourceType, acl.resourceName, acl.operation].join('\u0000');

/**
 * The ACLs among `held` that `wanted` no longer implies, to delete: only those of the principals
 * `wanted` names and on the topics and groups it names, so another TOPIC_PREFIX's resources, other
 * principals and everything on resources the table does not know are left alone.
 */
export function aclsToPrune(held: readonly KafkaAcl[], wanted: readonly KafkaAcl[]): KafkaAcl[] {
  const resourceOf = (acl: KafkaAcl) => `${acl.resourceType}\u0000${acl.resourceName}`;
  const principals = new Set(wanted.map((acl) => acl.principal));
  const resources = new Set(wanted.map(resourceOf));
  const kept = new Set(wanted.map(aclKey));
  return held.filter(
    (acl) => principals.has(acl.principal) && resources.has(resourceOf(acl)) && !kept.has(aclKey(acl)),
  );
}
