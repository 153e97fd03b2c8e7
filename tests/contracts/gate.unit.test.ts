// The gate really gates: schemas:check (the CLI, as CI runs it) fails on a breaking edit
// and names the field, passes a safe one, and refuses edited released history.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { addProperty, copyContracts, schemasCli } from './cli';

const SUBJECT = 'orders.events-orderflow.events.OrderCreated';

describe('schemas:check', () => {
  it('passes on the repository as committed', () => {
    const result = schemasCli(['check', '--root', copyContracts()]);
    expect(result.output).toContain('schemas:check passed (offline)');
    expect(result.status).toBe(0);
  });

  it('fails on a required field without a default and names the field', () => {
    const root = copyContracts();
    addProperty(root, 'OrderCreated', 'loyaltyTier', { type: 'string', description: 'Tier.' }, true);
    const result = schemasCli(['check', '--root', root]);
    expect(result.status).toBe(1);
    expect(result.output).toContain(
      `${SUBJECT}: loyaltyTier: reader field has no default and the writer does not have it`,
    );
    expect(result.output).toContain('[new schema reading data written by v1]');
  });

  it('passes an optional field with a default', () => {
    const root = copyContracts();
    const giftMessage = {
      type: ['string', 'null'],
      maxLength: 200,
      description: 'Printed on the packing slip.',
    };
    addProperty(root, 'OrderCreated', 'giftMessage', giftMessage, false);
    const result = schemasCli(['check', '--root', root]);
    expect(result.output).toContain(
      `${SUBJECT} (FULL_TRANSITIVE, 1 released): compatible, unreleased changes`,
    );
    expect(result.status).toBe(0);
  });

  it('fails when a released version was edited', () => {
    const root = copyContracts();
    appendFileSync(join(root, 'avro', 'history', SUBJECT, 'v1.avsc'), ' ');
    const result = schemasCli(['check', '--root', root]);
    expect(result.status).toBe(1);
    expect(result.output).toContain(`avro/history/${SUBJECT}/v1.avsc: a released version was edited`);
  });
});

describe('schemas:release', () => {
  it('appends a changed, compatible schema as the next version, once', () => {
    const root = copyContracts();
    const giftMessage = { type: ['string', 'null'], description: 'Printed on the packing slip.' };
    addProperty(root, 'OrderCreated', 'giftMessage', giftMessage, false);
    expect(schemasCli(['release', '--root', root]).output).toContain('run `npm run schemas:generate` first');
    expect(schemasCli(['generate', '--root', root]).status).toBe(0);

    const first = schemasCli(['release', '--root', root]);
    expect(first.output).toMatch(new RegExp(`${SUBJECT}\\s+FULL_TRANSITIVE\\s+v2\\s+released`));
    expect(first.output).toContain('1 version(s) released.');
    const v2 = join(root, 'avro', 'history', SUBJECT, 'v2.avsc');
    expect(readFileSync(v2, 'utf8')).toBe(readFileSync(join(root, 'avro', 'OrderCreated.avsc'), 'utf8'));
    expect(readFileSync(join(root, 'avro', 'history', 'lock.json'), 'utf8')).toContain(`${SUBJECT}/v2.avsc`);

    const second = schemasCli(['release', '--root', root]);
    expect(second.output).toContain('0 version(s) released.');
    expect(existsSync(join(root, 'avro', 'history', SUBJECT, 'v3.avsc'))).toBe(false);
    expect(schemasCli(['check', '--root', root]).status).toBe(0);
  });

  it('refuses an incompatible schema and releases nothing', () => {
    const root = copyContracts();
    addProperty(root, 'OrderCreated', 'loyaltyTier', { type: 'string', description: 'Tier.' }, true);
    expect(schemasCli(['generate', '--root', root]).status).toBe(0);
    const result = schemasCli(['release', '--root', root]);
    expect(result.status).toBe(1);
    expect(result.output).toContain(`${SUBJECT}: loyaltyTier: reader field has no default`);
    expect(existsSync(join(root, 'avro', 'history', SUBJECT, 'v2.avsc'))).toBe(false);
  });
});
