import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as avro from 'avsc';
import { COMPATIBILITY_LEVELS } from '../../services/shared/src/contracts/levels';
import { checkLevel, checkReaderWriter, parseAvro } from '../../scripts/schemas/compat';
import { EVOLUTION_CASES, expectedVerdict } from './evolution-cases';

const ROOT = join(__dirname, '..', '..');

describe('the offline compatibility checker', () => {
  it('has a table of at least 30 evolution cases', () => {
    expect(EVOLUTION_CASES.length).toBeGreaterThanOrEqual(30);
  });

  describe.each(EVOLUTION_CASES)('$name', (c) => {
    const history = c.history.map(parseAvro);
    const next = parseAvro(c.next);

    it.each([...COMPATIBILITY_LEVELS])('gives the Avro-spec verdict at %s', (level) => {
      const findings = checkLevel(level, next, history);
      const expected = expectedVerdict(c, level);
      expect({ level, compatible: findings.length === 0 }).toEqual({ level, compatible: expected });
      if (!expected && c.path !== undefined) {
        expect(findings.map((f) => f.path)).toContain(c.path);
      }
    });
  });

  it('names the field path and the broken rule of each finding', () => {
    const older = parseAvro({
      type: 'record',
      name: 'R',
      fields: [{ name: 'items', type: { type: 'array', items: { type: 'record', name: 'I', fields: [] } } }],
    });
    const newer = parseAvro({
      type: 'record',
      name: 'R',
      fields: [
        {
          name: 'items',
          type: {
            type: 'array',
            items: { type: 'record', name: 'I', fields: [{ name: 'sku', type: 'string' }] },
          },
        },
      ],
    });
    expect(checkReaderWriter(newer, older)).toEqual([
      {
        path: 'items[].sku',
        rule: 'reader field has no default and the writer does not have it (add a default, or keep the field)',
      },
    ]);
  });

  it('terminates on recursive schemas and still finds their breaks', () => {
    const node = (extra: unknown[]) => ({
      type: 'record',
      name: 'Node',
      fields: [{ name: 'next', type: ['null', 'Node'], default: null }, ...extra],
    });
    expect(checkReaderWriter(parseAvro(node([])), parseAvro(node([])))).toEqual([]);
    const findings = checkReaderWriter(parseAvro(node([{ name: 'v', type: 'int' }])), parseAvro(node([])));
    expect(findings.map((f) => f.path)).toContain('v');
  });

  // avsc's createResolver is what decodes at runtime, but it is not the specification: it
  // matches named types by full name, where the spec and Avro Java (so Confluent and
  // Apicurio) compare unqualified names. Every other case agrees with the table.
  it("agrees with avsc's createResolver except where avsc is stricter about namespaces", () => {
    const disagreements: string[] = [];
    for (const c of EVOLUTION_CASES) {
      const latest = parseAvro(c.history[c.history.length - 1]);
      const next = parseAvro(c.next);
      const resolves = (reader: avro.Type, writer: avro.Type) => {
        try {
          reader.createResolver(writer);
          return true;
        } catch {
          return false;
        }
      };
      if (resolves(next, latest) !== c.backward) disagreements.push(`${c.name} (backward)`);
      if (resolves(latest, next) !== c.forward) disagreements.push(`${c.name} (forward)`);
    }
    expect(disagreements).toEqual([
      'moving the record to another namespace (same unqualified name) (backward)',
      'moving the record to another namespace (same unqualified name) (forward)',
    ]);
  });
});

describe('npx tsx scripts/schemas.ts compat', () => {
  const dir = mkdtempSync(join(tmpdir(), 'orderflow-compat-'));
  const file = (name: string, content: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };
  const v1 = file('v1.avsc', { type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] });
  const safe = file('safe.avsc', {
    type: 'record',
    name: 'R',
    fields: [
      { name: 'a', type: 'int' },
      { name: 'b', type: ['null', 'string'], default: null },
    ],
  });
  const breaking = file('breaking.avsc', {
    type: 'record',
    name: 'R',
    fields: [
      { name: 'a', type: 'int' },
      { name: 'b', type: 'string' },
    ],
  });
  const run = (...args: string[]) => {
    const result = spawnSync(
      join(ROOT, 'node_modules', '.bin', 'tsx'),
      ['scripts/schemas.ts', 'compat', ...args],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    return { status: result.status, out: result.stdout + result.stderr };
  };

  it('exits 0 for a compatible pair', () => {
    const result = run('--level', 'FULL_TRANSITIVE', v1, safe);
    expect(result).toMatchObject({ status: 0 });
    expect(result.out).toContain('compatible at FULL_TRANSITIVE');
  });

  it('exits 1 and prints "<field path>: <rule>" for an incompatible pair', () => {
    const result = run('--level', 'BACKWARD', v1, breaking);
    expect(result.status).toBe(1);
    expect(result.out).toMatch(/^b: reader field has no default/m);
  });

  it('exits 2 on an unknown level, missing files or an unparsable schema', () => {
    expect(run('--level', 'SIDEWAYS', v1, safe).status).toBe(2);
    expect(run('--level', 'BACKWARD', v1).status).toBe(2);
    const broken = run('--level', 'BACKWARD', v1, file('broken.avsc', '{"type": "record", "name": "R"'));
    expect(broken.status).toBe(2);
    expect(broken.out).toContain('not a valid Avro schema');
    const invalid = run(
      '--level',
      'BACKWARD',
      v1,
      file('invalid.avsc', { type: 'record', name: 'R', fields: [{ name: 'a', type: 'nope' }] }),
    );
    expect(invalid.status).toBe(2);
  });
});
