// `npm run kafka:acls [-- --apply [--prune]]`: prints the Kafka ACLs of least privilege that the
// services table implies (services/shared/src/acls.ts), one line each, under TOPIC_PREFIX; `--apply`
// creates those the cluster does not hold yet, logged in with the KAFKA_* settings (an admin
// principal, a super user), and says which it created and which were there already. Applying twice
// changes nothing. `--prune` also deletes, printing each, the ACLs of the services' principals on
// the table's topics and groups that the table no longer implies (a service's input removed).
import { parseArgs } from 'node:util';
import { aclLines, applyAcls, platformAcls } from '../services/shared/src';
import { kafkaFor, readOpsConfig, runCommand, UsageError } from './ops/common';
import { withStackBrokers } from './stack/brokers';

const USAGE = `usage: npm run kafka:acls [-- --apply [--prune]]
  prints the ACLs of every service's principal; --apply creates the missing ones;
  --prune also deletes those of the services' principals, on the table's topics and groups
  under TOPIC_PREFIX, that the table no longer implies`;

const ADMIN_NOTE =
  'The admin principal (KAFKA_SASL_USERNAME here; a super user of the broker) creates the topics (topics:create) and applies these; it needs no ACL of its own.';

async function main(): Promise<void> {
  const { apply, prune } = parseCli(process.argv.slice(2));
  const config = readOpsConfig(withStackBrokers());
  const acls = platformAcls(config.prefix);
  const prefix = config.prefix ? ` under prefix "${config.prefix}"` : '';
  if (!apply) {
    console.log(`Kafka ACLs of the services table${prefix} (ALLOW from any host, literal names):`);
    for (const line of aclLines(acls)) console.log(`  ${line}`);
    console.log(`${acls.length} ACLs; --apply creates them on ${config.kafka.brokers.join(',')}`);
    console.log(ADMIN_NOTE);
    return;
  }
  console.log(`Kafka ACLs of the services table${prefix} on ${config.kafka.brokers.join(',')}:`);
  const { created, present, deleted } = await applyAcls(kafkaFor(config, 'kafka-acls'), acls, { prune });
  for (const line of aclLines(created)) console.log(`  created  ${line}`);
  for (const line of aclLines(deleted)) console.log(`  deleted  ${line}`);
  console.log(`${created.length} created, ${present.length} already present`);
  if (prune) console.log(`${deleted.length} deleted (no longer implied by the table)`);
  console.log(ADMIN_NOTE);
}

function parseCli(args: string[]): { apply: boolean; prune: boolean } {
  let values: { apply: boolean; prune: boolean };
  try {
    values = parseArgs({
      args,
      options: { apply: { type: 'boolean', default: false }, prune: { type: 'boolean', default: false } },
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.prune && !values.apply) throw new UsageError('--prune goes with --apply');
  return values;
}

if (require.main === module) runCommand('kafka:acls', USAGE, main);
