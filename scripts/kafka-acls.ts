// `npm run kafka:acls [-- --apply]`: prints the Kafka ACLs of least privilege that the services table
// implies (services/shared/src/acls.ts), one line each, under TOPIC_PREFIX; `--apply` creates those
// the cluster does not hold yet, logged in with the KAFKA_* settings (an admin principal, a super
// user), and says which it created and which were there already. Applying twice changes nothing.
import { parseArgs } from 'node:util';
import { aclLines, applyAcls, platformAcls } from '../services/shared/src';
import { kafkaFor, readOpsConfig, runCommand, UsageError } from './ops/common';
import { withStackBrokers } from './stack/brokers';

const USAGE = `usage: npm run kafka:acls [-- --apply]
  prints the ACLs of every service's principal; --apply creates the missing ones`;

const ADMIN_NOTE =
  'The admin principal (KAFKA_SASL_USERNAME here; a super user of the broker) creates the topics (topics:create) and applies these; it needs no ACL of its own.';

async function main(): Promise<void> {
  const apply = parseCli(process.argv.slice(2));
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
  const { created, present } = await applyAcls(kafkaFor(config, 'kafka-acls'), acls);
  for (const line of aclLines(created)) console.log(`  created  ${line}`);
  console.log(`${created.length} created, ${present.length} already present`);
  console.log(ADMIN_NOTE);
}

function parseCli(args: string[]): boolean {
  try {
    return parseArgs({ args, options: { apply: { type: 'boolean', default: false } } }).values.apply;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

if (require.main === module) runCommand('kafka:acls', USAGE, main);
