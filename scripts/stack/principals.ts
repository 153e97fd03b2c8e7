// Who logs in to the local stack's broker when it runs with ACLs (ORDERFLOW_KAFKA_ACLS=true): the
// admin (ORDERFLOW_KAFKA_SASL_USERNAME, a super user: the broker itself, topics:create, kafka:acls)
// and one SCRAM user per service of the services table, whose ACLs `npm run kafka:acls` applies.
// A service's password is derived from the admin's, so nothing more has to be stored or passed
// around on a developer's machine; a deployment gives each service a secret of its own.
import { createHmac } from 'node:crypto';
import { serviceUsername } from '../../services/shared/src/acls';
import { SERVICE_NAMES, type ServiceName } from '../../services/shared/src/services';

export interface KafkaUser {
  username: string;
  password: string;
}

/** The local stack's SCRAM user of one service: its KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD. */
export function serviceUser(adminPassword: string, service: ServiceName): KafkaUser {
  const username = serviceUsername(service);
  const password = createHmac('sha256', adminPassword).update(username).digest('hex').slice(0, 32);
  return { username, password };
}

/** Every SCRAM user the broker's storage is formatted with: the admin, then each service. */
export function stackUsers(admin: KafkaUser, acls: boolean): KafkaUser[] {
  return acls ? [admin, ...SERVICE_NAMES.map((s) => serviceUser(admin.password, s))] : [admin];
}
