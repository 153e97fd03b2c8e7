// Against the live registry (npm run stack:up): the evolution table, register-schemas and
// the services' startup registration. Every subject lives under this run's own prefix.
import { randomBytes } from 'node:crypto';
import { loadAvroSchema } from '../../services/shared/src/contracts/avro';
import { COMPATIBILITY_LEVELS } from '../../services/shared/src/contracts/levels';
import { registerEventSchemas, SchemaRejectedError } from '../../services/shared/src/contracts/register';
import { SchemaRegistryClient, SchemaRegistryError } from '../../services/shared/src/contracts/registry';
import { DEFAULTS } from '../../services/shared/src/defaults';
import { subjectOf } from '../../services/shared/src/contracts/subjects';
import { EVENT_NAMES } from '../../services/shared/src/topics';
import { loadHistory, registryVerdict } from '../../scripts/schemas/online';
import { waitFor } from '../support/wait';
import { schemasCli } from './cli';
import { EVOLUTION_CASES, expectedVerdict } from './evolution-cases';

const URL = process.env.SCHEMA_REGISTRY_URL ?? DEFAULTS.SCHEMA_REGISTRY_URL;
const PREFIX = `it-contracts-${Date.now()}-${randomBytes(3).toString('hex')}.`;
const client = new SchemaRegistryClient({ url: URL });

// Subjects are remembered here and deleted by name afterwards, never found by listing:
// Apicurio's GET /subjects stops at apicurio.ccompat.max-subjects (1,000 unless set).
const made = new Set<string>();
const eventSubjects = (prefix: string) => EVENT_NAMES.map((e) => subjectOf(e, prefix));

function scratch(subject: string): string {
  made.add(subject);
  return subject;
}

/** A prefix whose event subjects this file may create. */
function scratchPrefix(prefix: string): string {
  eventSubjects(prefix).forEach(scratch);
  return prefix;
}

/** Which of the event subjects under `prefix` have a registered version. */
async function registeredUnder(prefix: string): Promise<string[]> {
  const subjects = eventSubjects(prefix);
  const versions = await Promise.all(subjects.map((s) => client.versions(s)));
  return subjects.filter((_, i) => versions[i]!.length > 0).sort();
}

/** OrderCreated v1 plus a required field without default: the current schema cannot follow it at FULL_TRANSITIVE. */
function blockingPredecessor() {
  const schema = loadAvroSchema('OrderCreated');
  return { ...schema, fields: [...(schema.fields as unknown[]), { name: 'legacyCode', type: 'string' }] };
}

beforeAll(async () => {
  await waitFor(() => client.ping().then(() => true), {
    timeoutMs: 60_000,
    what: `the registry at ${URL}`,
  });
});

afterAll(async () => {
  for (const subject of made) await client.deleteSubject(subject);
});

// Each case and level gets its own subject: the history registered at NONE, then the level
// set, then two questions: the compatibility endpoint, and an actual registration (which is
// what producers meet). Both must give the Avro-spec verdict the offline checker gives.
describe('the live registry on the evolution table', () => {
  describe.each(EVOLUTION_CASES.map((c, i) => ({ ...c, i })))('$name', (c) => {
    it.each([...COMPATIBILITY_LEVELS])('gives the Avro-spec verdict at %s', async (level) => {
      const subject = scratch(`${PREFIX}evolution-${c.i}-${level}`);
      await loadHistory(client, subject, c.history);
      const expected = expectedVerdict(c, level);
      const answer = await registryVerdict(client, subject, level, c.next);
      const registered = await client.register(subject, c.next).then(
        () => true,
        (error: unknown) => {
          if (error instanceof SchemaRegistryError && error.httpStatus === 409) return false;
          throw error;
        },
      );
      expect({ level, endpoint: answer.compatible, registration: registered }).toEqual({
        level,
        endpoint: expected,
        registration: expected,
      });
    });
  });
});

describe('a schema identical to an earlier version', () => {
  it('is answered with that version, without a compatibility check and without a new version', async () => {
    const subject = scratch(`${PREFIX}identical`);
    const v1 = { type: 'record', name: 'R', fields: [{ name: 'qty', type: 'int' }] };
    const v2 = { type: 'record', name: 'R', fields: [{ name: 'qty', type: 'long' }] };
    await loadHistory(client, subject, [v1, v2]);
    await client.setCompatibility(subject, 'BACKWARD');
    expect((await client.testCompatibility(subject, v1, 'BACKWARD')).compatible).toBe(false);
    const id = await client.register(subject, v1);
    expect(await client.lookup(subject, v1)).toEqual(expect.objectContaining({ id, version: 1 }));
    expect(await client.versions(subject)).toEqual([1, 2]);
  });
});

describe('npm run register-schemas', () => {
  const prefix = scratchPrefix(`${PREFIX}cli.`);
  const table = (output: string) =>
    output
      .split('\n')
      .filter((line) => line.startsWith(prefix))
      .map((line) => line.split(/\s{2,}/));

  it('registers every event once, prints subject, level, version, id, new?, and a second run registers nothing', () => {
    const first = schemasCli(['register', '--url', URL, '--prefix', prefix]);
    expect(first.status).toBe(0);
    expect(first.output).toMatch(/^subject\s+level\s+version\s+id\s+new\?$/m);
    const rows = table(first.output);
    expect(rows.map((r) => r[0])).toEqual(eventSubjects(prefix));
    for (const row of rows)
      expect(row).toEqual([
        expect.any(String),
        'FULL_TRANSITIVE',
        '1',
        expect.stringMatching(/^\d+$/),
        'yes',
      ]);

    const second = schemasCli(['register', '--url', URL, '--prefix', prefix]);
    expect(second.status).toBe(0);
    expect(table(second.output)).toEqual(rows.map((r) => [...r.slice(0, 4), 'no']));
  });

  it('takes the prefix from TOPIC_PREFIX when --prefix is not given, as the services and compose do', async () => {
    const fromEnv = scratchPrefix(`${PREFIX}env.`);
    const result = schemasCli(['register', '--url', URL], { TOPIC_PREFIX: fromEnv });
    expect(result.status).toBe(0);
    expect(await registeredUnder(fromEnv)).toEqual(eventSubjects(fromEnv).sort());
    const bad = schemasCli(['register', '--url', URL], { TOPIC_PREFIX: 'not a prefix' });
    expect(bad.status).toBe(1);
    expect(bad.output).toContain('TOPIC_PREFIX must be');
  });

  it('--dry-run registers nothing', async () => {
    const dry = scratchPrefix(`${PREFIX}dry.`);
    const result = schemasCli(['register', '--url', URL, '--prefix', dry, '--dry-run']);
    expect(result.status).toBe(0);
    expect(table(result.output).every((r) => r[4] === 'would register')).toBe(true);
    expect(await registeredUnder(dry)).toEqual([]);
  });

  it("exits non-zero with the registry's reason when a schema is incompatible", async () => {
    const prefix = scratchPrefix(`${PREFIX}blocked.`);
    const subject = subjectOf('OrderCreated', prefix);
    await client.register(subject, blockingPredecessor());
    const result = schemasCli(['register', '--url', URL, '--prefix', prefix]);
    expect(result.status).toBe(1);
    expect(result.output).toContain(`The registry rejected 1 schema(s):\n  ${subject}: `);
    expect(result.output).toContain('legacyCode');
  });
});

describe('registerEventSchemas (service startup)', () => {
  it('sets the level, registers, and on a second start finds the same ids', async () => {
    const prefix = scratchPrefix(`${PREFIX}svc.`);
    const events = ['PaymentCaptured', 'PaymentDeclined', 'PaymentRefunded'] as const;
    const first = await registerEventSchemas({ registry: { url: URL }, events, prefix });
    expect([...first.keys()]).toEqual(events);
    for (const event of events) {
      expect(first.get(event)).toEqual({ id: expect.any(Number), schema: loadAvroSchema(event) });
      expect(await client.getCompatibility(subjectOf(event, prefix))).toBe('FULL_TRANSITIVE');
    }
    const again = await registerEventSchemas({ registry: client, events, prefix });
    expect([...again].map(([e, r]) => [e, r.id])).toEqual([...first].map(([e, r]) => [e, r.id]));
  });

  // Two instances of a service start together (npm start -- --instances billing=2): both set
  // the subjects' levels and register the same schemas at once, and both must start.
  it('lets several instances register the same events at once, all with the same ids', async () => {
    const prefix = scratchPrefix(`${PREFIX}svc-together.`);
    const events = ['PaymentCaptured', 'PaymentDeclined', 'PaymentRefunded'] as const;
    const starts = await Promise.all(
      Array.from({ length: 6 }, () => registerEventSchemas({ registry: { url: URL }, events, prefix })),
    );
    const ids = starts.map((writers) => [...writers].map(([event, w]) => [event, w.id]));
    for (const other of ids.slice(1)) expect(other).toEqual(ids[0]);
    for (const event of events) {
      expect(await client.versions(subjectOf(event, prefix))).toEqual([1]);
      expect(await client.getCompatibility(subjectOf(event, prefix))).toBe('FULL_TRANSITIVE');
    }
  });

  it("refuses with a SchemaRejectedError naming the subject and the registry's reason", async () => {
    const prefix = scratchPrefix(`${PREFIX}svc-blocked.`);
    const subject = subjectOf('OrderCreated', prefix);
    await client.register(subject, blockingPredecessor());
    const error = await registerEventSchemas({
      registry: { url: URL },
      events: ['OrderCreated'],
      prefix,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SchemaRejectedError);
    expect(error).toMatchObject({ subject, code: 'SCHEMA_REJECTED' });
    expect((error as SchemaRejectedError).reason).toContain('legacyCode');
    expect((error as Error).message).toContain(subject);
  });
});
