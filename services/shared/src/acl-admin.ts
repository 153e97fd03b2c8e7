// Applies Kafka ACLs (acls.ts) through the admin API: asks the cluster which it holds already and
// creates only the others, so applying twice changes nothing; with `prune`, also deletes those of
// the same principals on the same resources that the list no longer holds (acls.ts aclsToPrune).
// Needs a principal allowed to alter the cluster's ACLs (a super user).
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ResourcePatternTypes,
  type AclEntry,
  type Kafka,
} from 'kafkajs';
import { aclKey as keyOf, aclsToPrune, type KafkaAcl } from './acls';

export interface AclsApplied {
  created: KafkaAcl[];
  present: KafkaAcl[];
  /** Deleted with `prune`: held, of the list's principals and resources, but not in the list. */
  deleted: KafkaAcl[];
}

const ANY_HOST = '*';

export async function applyAcls(
  kafka: Kafka,
  acls: readonly KafkaAcl[],
  { prune = false }: { prune?: boolean } = {},
): Promise<AclsApplied> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const allows = await literalAllows(admin);
    const held = new Set(allows.map(keyOf));
    const wanted = [...new Map(acls.map((acl) => [keyOf(acl), acl])).values()];
    const created = wanted.filter((acl) => !held.has(keyOf(acl)));
    if (created.length > 0) await admin.createAcls({ acl: created.map(toEntry) });
    const deleted = prune ? aclsToPrune(allows, wanted) : [];
    // Each filter names one rule exactly (principal, host, resource, operation, permission).
    if (deleted.length > 0) await admin.deleteAcls({ filters: deleted.map(toEntry) });
    return { created, present: wanted.filter((acl) => held.has(keyOf(acl))), deleted };
  } finally {
    await admin.disconnect();
  }
}

/** Every ALLOW rule from any host on a literally named topic or group, as the cluster holds it. */
async function literalAllows(admin: ReturnType<Kafka['admin']>): Promise<KafkaAcl[]> {
  const { resources } = await admin.describeAcls({
    resourceType: AclResourceTypes.ANY,
    resourcePatternType: ResourcePatternTypes.LITERAL,
    operation: AclOperationTypes.ANY,
    permissionType: AclPermissionTypes.ALLOW,
  });
  return resources.flatMap(({ resourceType, resourceName, acls }) => {
    const type = resourceTypeName(resourceType);
    if (!type) return [];
    return acls
      .filter((acl) => acl.host === ANY_HOST)
      .map((acl) => ({
        principal: acl.principal,
        resourceType: type,
        resourceName,
        operation: operationName(acl.operation),
      }));
  });
}

function resourceTypeName(type: AclResourceTypes): KafkaAcl['resourceType'] | undefined {
  if (type === AclResourceTypes.TOPIC) return 'TOPIC';
  if (type === AclResourceTypes.GROUP) return 'GROUP';
  return undefined;
}

/** kafkajs's enums are plain objects at runtime, without TypeScript's reverse mapping. */
function operationName(operation: AclOperationTypes): KafkaAcl['operation'] {
  const name = Object.keys(AclOperationTypes).find(
    (key) => AclOperationTypes[key as keyof typeof AclOperationTypes] === operation,
  );
  return (name ?? 'UNKNOWN') as KafkaAcl['operation'];
}

function toEntry(acl: KafkaAcl): AclEntry {
  return {
    principal: acl.principal,
    host: ANY_HOST,
    resourceType: AclResourceTypes[acl.resourceType],
    resourceName: acl.resourceName,
    resourcePatternType: ResourcePatternTypes.LITERAL,
    operation: AclOperationTypes[acl.operation],
    permissionType: AclPermissionTypes.ALLOW,
  };
}
