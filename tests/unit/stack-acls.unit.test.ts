// The local stack's switch for Kafka ACLs and the SCRAM users it formats the broker's storage with.
import { SERVICE_NAMES } from '@orderflow/shared';
import { serviceUser, stackUsers } from '../../scripts/stack/principals';
import { readSettings } from '../../scripts/stack/settings';

test('ORDERFLOW_KAFKA_ACLS=true needs SASL, since ACLs name SASL users; a value other than true or false is refused', () => {
  expect(() => readSettings({ ORDERFLOW_KAFKA_ACLS: 'true' })).toThrow(
    /ORDERFLOW_KAFKA_ACLS=true needs ORDERFLOW_KAFKA_SASL=scram/,
  );
  expect(() => readSettings({ ORDERFLOW_KAFKA_SASL: 'scram', ORDERFLOW_KAFKA_ACLS: 'yes' })).toThrow(
    /ORDERFLOW_KAFKA_ACLS=yes is not true or false/,
  );
  expect(readSettings({ ORDERFLOW_KAFKA_SASL: 'scram', ORDERFLOW_KAFKA_ACLS: 'true' }).kafka.acls).toBe(true);
  expect(readSettings({ ORDERFLOW_KAFKA_SASL: 'scram' }).kafka.acls).toBeUndefined();
});

test('with ACLs the storage gets the admin and one SCRAM user per service, each with a password of its own derived from the admin’s', () => {
  const admin = { username: 'orderflow', password: 'admin-secret' };
  const users = stackUsers(admin, true);
  expect(users.map((u) => u.username)).toEqual(['orderflow', ...SERVICE_NAMES.map((s) => `orderflow-${s}`)]);
  expect(new Set(users.map((u) => u.password)).size).toBe(users.length);
  expect(serviceUser('admin-secret', 'shipping')).toEqual(serviceUser('admin-secret', 'shipping'));
  expect(serviceUser('another-secret', 'shipping').password).not.toBe(
    serviceUser('admin-secret', 'shipping').password,
  );
  expect(stackUsers(admin, false)).toEqual([admin]);
});
