// The local stack's registry keeps its schemas in PostgreSQL: a restart changes no id and no
// version. Stops and starts the registry of `npm run stack:up` through the stack's API.
import { readSettings } from '../../scripts/stack/settings';
import { startComponent, stackStatus, stopComponent } from '../../scripts/stack/stack';
import { deleteSubjects, registryClient, runScope, schemaBody } from './registry-api';

const { url } = readSettings().registry;
const call = registryClient(url);
const { prefix, record } = runScope();
const subject = encodeURIComponent(`${prefix}durable`);

const v1 = record('Shipment', [{ name: 'orderId', type: 'string' }]);
const v2 = record('Shipment', [
  { name: 'orderId', type: 'string' },
  { name: 'carrier', type: ['null', 'string'], default: null },
]);

async function register(schema: object): Promise<number> {
  const { status, body } = await call<{ id: number }>(
    'POST',
    `/subjects/${subject}/versions`,
    schemaBody(schema),
  );
  expect(status).toBe(200);
  return body.id;
}

afterAll(async () => {
  await startComponent('registry'); // whatever happened above, leave the stack up
  await deleteSubjects(call, prefix);
}, 240_000);

test('schema ids and versions are unchanged after the registry restarts', async () => {
  const id1 = await register(v1);
  const id2 = await register(v2);

  await stopComponent('registry');
  const registry = (await stackStatus()).find((c) => c.name === 'registry');
  expect(registry?.running).toBe(false);
  await expect(fetch(`${url}/subjects`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();

  await startComponent('registry');

  expect((await call('GET', `/subjects/${subject}/versions`)).body).toEqual([1, 2]);
  expect((await call('GET', `/subjects/${subject}/versions/1`)).body).toMatchObject({ version: 1, id: id1 });
  expect((await call('GET', `/subjects/${subject}/versions/latest`)).body).toMatchObject({
    version: 2,
    id: id2,
  });
  const byId = await call<{ schema: string }>('GET', `/schemas/ids/${id1}`);
  expect(JSON.parse(byId.body.schema)).toEqual(v1);
  // Registering a known schema again still finds it; a new one gets a new id.
  expect(await register(v1)).toBe(id1);
  const id3 = await register(
    record('Shipment', [
      ...(v2 as { fields: object[] }).fields,
      { name: 'note', type: ['null', 'string'], default: null },
    ]),
  );
  expect([id1, id2]).not.toContain(id3);
  expect((await call('GET', `/subjects/${subject}/versions`)).body).toEqual([1, 2, 3]);
}, 240_000);
