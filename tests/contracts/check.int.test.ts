// schemas:check with a registry: the registry's answer agrees with the offline one, and the
// scratch subjects it used are gone afterwards.
import { DEFAULTS } from '../../services/shared/src/defaults';
import { SchemaRegistryClient } from '../../services/shared/src/contracts/registry';
import { waitFor } from '../support/wait';
import { addProperty, copyContracts, schemasCli } from './cli';

const URL = process.env.SCHEMA_REGISTRY_URL ?? DEFAULTS.SCHEMA_REGISTRY_URL;
const client = new SchemaRegistryClient({ url: URL });
const SUBJECT = 'orders.events-orderflow.events.OrderCreated';

beforeAll(async () => {
  await waitFor(() => client.ping().then(() => true), {
    timeoutMs: 60_000,
    what: `the registry at ${URL}`,
  });
});

describe('schemas:check with SCHEMA_REGISTRY_URL set', () => {
  it('passes on the repository, with the registry agreeing, and leaves no scratch subjects', async () => {
    const started = Date.now();
    const result = schemasCli(['check', '--root', copyContracts()], { SCHEMA_REGISTRY_URL: URL });
    expect(result.output).toContain(
      `${SUBJECT} (FULL_TRANSITIVE, 1 released): unchanged; registry: compatible`,
    );
    expect(result.output).toContain(`schemas:check passed (offline and ${URL})`);
    expect(result.status).toBe(0);
    const leftovers = (await client.subjects()).filter((s) => {
      const at = /^schemas-check-(\d+)-/.exec(s)?.[1];
      return at !== undefined && Number(at) >= started;
    });
    expect(leftovers).toEqual([]);
  });

  it('fails a breaking edit, offline and online alike, naming the field', () => {
    const root = copyContracts();
    addProperty(root, 'OrderCreated', 'loyaltyTier', { type: 'string', description: 'Tier.' }, true);
    const result = schemasCli(['check', '--root', root], { SCHEMA_REGISTRY_URL: URL });
    expect(result.status).toBe(1);
    expect(result.output).toContain(`${SUBJECT}: loyaltyTier: reader field has no default`);
    expect(result.output).toContain(
      `${SUBJECT} (FULL_TRANSITIVE, 1 released): INCOMPATIBLE; registry: incompatible`,
    );
    expect(result.output).not.toContain('disagree');
  });

  it('passes a safe edit, offline and online alike', () => {
    const root = copyContracts();
    const giftMessage = { type: ['string', 'null'], description: 'Printed on the packing slip.' };
    addProperty(root, 'OrderCreated', 'giftMessage', giftMessage, false);
    const result = schemasCli(['check', '--root', root], { SCHEMA_REGISTRY_URL: URL });
    expect(result.output).toContain('compatible, unreleased changes; registry: compatible');
    expect(result.status).toBe(0);
  });
});
