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

/** What the local stack's settings say about its broker's logins (settings.ts `KafkaSettings`). */
interface StackKafka {
  sasl?: { mechanism: string; username: string; password: string };
  acls?: boolean;
}

/**
 * The KAFKA_SASL_* one service runs with on the local stack (npm start, npm run up): on a broker
 * that authorizes by ACLs, the service's own SCRAM user, so it is refused what its ACLs do not
 * allow, whatever login (the admin's, for topics:create) the shell holds; else nothing, and the
 * shell's settings stand.
 */
export function serviceKafkaLogin(kafka: StackKafka, service: ServiceName): Record<string, string> {
  if (!kafka.acls || !kafka.sasl) return {};
  const { username, password } = serviceUser(kafka.sasl.password, service);
  return {
    KAFKA_SASL_MECHANISM: kafka.sasl.mechanism,
    KAFKA_SASL_USERNAME: username,
    KAFKA_SASL_PASSWORD: password,
    // A NAME_FILE the shell names would win over the value (env-reader.ts).
    KAFKA_SASL_MECHANISM_FILE: '',
    KAFKA_SASL_USERNAME_FILE: '',
    KAFKA_SASL_PASSWORD_FILE: '',
  };
}

/**
 * The admin's KAFKA_SASL_* for the commands that prepare the local stack (topics:create,
 * kafka:acls --apply) when its broker takes only SASL logins and the shell names none.
 */
export function adminKafkaLogin(kafka: StackKafka, env: NodeJS.ProcessEnv): Record<string, string> {
  if (!kafka.sasl || env.KAFKA_SASL_MECHANISM || env.KAFKA_SASL_MECHANISM_FILE) return {};
  return {
    KAFKA_SASL_MECHANISM: kafka.sasl.mechanism,
    KAFKA_SASL_USERNAME: kafka.sasl.username,
    KAFKA_SASL_PASSWORD: kafka.sasl.password,
  };
}
