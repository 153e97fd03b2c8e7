// Offline Avro compatibility, by the specification's schema-resolution rules, at the levels
// Confluent Schema Registry defines. Written here rather than taken from avsc's
// createResolver, which is more lenient than the specification in places (see tests).
//
// Reader/writer rules, as in the Avro spec and Avro Java's SchemaCompatibility (which
// Confluent and Apicurio use):
// - records match by unqualified name, or the reader's aliases name the writer's full name;
//   every reader field must exist in the writer (by name or reader field alias) or have a
//   default; writer fields the reader lacks are ignored
// - enums match by name; writer symbols the reader lacks need a reader enum default
// - fixed match by name and size; arrays by items; maps by values
// - promotions: int→long/float/double, long→float/double, float→double, string↔bytes
// - a writer union: every branch must be readable; a reader union: some branch must read
//   the writer's type
// - logical types are ignored (resolution is on the underlying type)
import * as avro from 'avsc';
import { type CompatibilityLevel, isCompatibilityLevel } from '../../services/shared/src/contracts/levels';

export interface Finding {
  /** Dotted field path inside the record, `[]` for array items, `{}` for map values; '' is the root. */
  path: string;
  rule: string;
}

/** A parsed schema; invalid schemas throw here, with avsc's reason. */
export function parseAvro(schema: unknown): avro.Type {
  // No logical types are registered, so avsc checks the underlying types only (as resolution does).
  return avro.Type.forSchema(schema as avro.Schema);
}

interface Named {
  name?: string;
  aliases?: string[];
}
interface FieldLike {
  name: string;
  aliases: string[];
  type: avro.Type;
  defaultValue(): unknown;
}

const PROMOTIONS: Record<string, string[]> = {
  long: ['int'],
  float: ['int', 'long'],
  double: ['int', 'long', 'float'],
  bytes: ['string'],
  string: ['bytes'],
};

/** Can data written with `writer` be read with `reader`? Returns every broken rule. */
export function checkReaderWriter(reader: avro.Type, writer: avro.Type): Finding[] {
  let findings: Finding[] = [];
  // Recursive schemas: a pair already being checked is assumed compatible (as Avro Java does).
  const inProgress = new Map<avro.Type, Set<avro.Type>>();

  function check(r: avro.Type, w: avro.Type, path: string): void {
    const seen = inProgress.get(r) ?? new Set<avro.Type>();
    if (seen.has(w)) return;
    seen.add(w);
    inProgress.set(r, seen);
    try {
      compare(r, w, path);
    } finally {
      seen.delete(w);
    }
  }

  function compare(r: avro.Type, w: avro.Type, path: string): void {
    const rk = kindOf(r);
    const wk = kindOf(w);
    if (wk === 'union') {
      // Every branch the writer may have chosen must be readable.
      for (const branch of (w as avro.types.UnwrappedUnionType).types) {
        if (rk === 'union') readIntoUnion(r, branch, path);
        else check(r, branch, path);
      }
      return;
    }
    if (rk === 'union') {
      readIntoUnion(r, w, path);
      return;
    }
    if (rk !== wk) {
      if (!PROMOTIONS[rk]?.includes(wk)) {
        findings.push({
          path,
          rule: `type mismatch: a ${describe(r)} reader cannot read a ${describe(w)} writer`,
        });
      }
      return;
    }
    switch (rk) {
      case 'record':
        if (!namesMatch(r, w, path, 'record')) return;
        compareFields(r as avro.types.RecordType, w as avro.types.RecordType, path);
        return;
      case 'enum': {
        if (!namesMatch(r, w, path, 'enum')) return;
        const readerSymbols = (r as avro.types.EnumType).symbols;
        const missing = (w as avro.types.EnumType).symbols.filter((s) => !readerSymbols.includes(s));
        const fallback = (r as unknown as { default?: string }).default;
        if (missing.length && fallback === undefined) {
          findings.push({
            path,
            rule: `enum symbols [${missing.join(', ')}] written by the writer are unknown to the reader, which has no enum default`,
          });
        }
        return;
      }
      case 'fixed':
        if (!namesMatch(r, w, path, 'fixed')) return;
        if ((r as avro.types.FixedType).size !== (w as avro.types.FixedType).size) {
          findings.push({
            path,
            rule: `fixed size mismatch: reader ${(r as avro.types.FixedType).size}, writer ${(w as avro.types.FixedType).size}`,
          });
        }
        return;
      case 'array':
        check((r as avro.types.ArrayType).itemsType, (w as avro.types.ArrayType).itemsType, `${path}[]`);
        return;
      case 'map':
        check(
          (r as avro.types.MapType).valuesType as avro.Type,
          (w as avro.types.MapType).valuesType as avro.Type,
          `${path}{}`,
        );
        return;
      default:
        return; // same primitive type
    }
  }

  // A reader union reads a (non-union) writer type when some branch reads it completely.
  function readIntoUnion(r: avro.Type, w: avro.Type, path: string): void {
    const branches = (r as avro.types.UnwrappedUnionType).types;
    const outer = findings;
    for (const branch of branches) {
      findings = []; // a trial: its findings only decide whether this branch fits
      check(branch, w, path);
      const fits = findings.length === 0;
      findings = outer;
      if (fits) return;
    }
    findings.push({
      path,
      rule: `the reader union [${branches.map(describe).join(', ')}] has no branch that reads a ${describe(w)} writer`,
    });
  }

  function namesMatch(r: avro.Type, w: avro.Type, path: string, kind: string): boolean {
    const reader = r as unknown as Named;
    const writer = w as unknown as Named;
    const writerFull = writer.name ?? '';
    if (unqualified(reader.name ?? '') === unqualified(writerFull)) return true;
    if ((reader.aliases ?? []).includes(writerFull)) return true;
    findings.push({
      path,
      rule: `${kind} name mismatch: reader ${reader.name} does not match writer ${writerFull} (add alias "${writerFull}" to the reader)`,
    });
    return false;
  }

  function compareFields(r: avro.types.RecordType, w: avro.types.RecordType, path: string): void {
    for (const field of r.fields as unknown as FieldLike[]) {
      const fieldPath = path ? `${path}.${field.name}` : field.name;
      const candidates = (w.fields as unknown as FieldLike[]).filter(
        (wf) => wf.name === field.name || field.aliases.includes(wf.name),
      );
      if (candidates.length > 1) {
        findings.push({
          path: fieldPath,
          rule: `reader field matches several writer fields (${candidates.map((c) => c.name).join(', ')}) by name and alias`,
        });
        continue;
      }
      const writerField = candidates[0];
      if (writerField) check(field.type, writerField.type, fieldPath);
      else if (field.defaultValue() === undefined) {
        findings.push({
          path: fieldPath,
          rule: 'reader field has no default and the writer does not have it (add a default, or keep the field)',
        });
      }
    }
  }

  check(reader, writer, '');
  return dedupe(findings);
}

/** A finding with the pair of versions it concerns. */
export interface LevelFinding extends Finding {
  /** e.g. "new schema reading data written by v1". */
  direction: string;
}

/**
 * Confluent's definition: BACKWARD = the new schema reads data written with the previous
 * one; FORWARD = the previous schema reads data written with the new one; FULL = both;
 * plain levels compare with the latest version only, _TRANSITIVE ones with every version.
 * `previous` is oldest first; labels default to v1..vN.
 */
export function checkLevel(
  level: CompatibilityLevel,
  candidate: avro.Type,
  previous: avro.Type[],
  labels: string[] = previous.map((_, i) => `v${i + 1}`),
): LevelFinding[] {
  if (!isCompatibilityLevel(level)) throw new Error(`unknown compatibility level ${String(level)}`);
  if (level === 'NONE' || previous.length === 0) return [];
  const transitive = level.endsWith('_TRANSITIVE');
  const base = level.replace('_TRANSITIVE', '');
  const indexes = transitive ? previous.map((_, i) => i) : [previous.length - 1];
  const findings: LevelFinding[] = [];
  for (const i of indexes) {
    const old = previous[i] as avro.Type;
    const label = labels[i] ?? `v${i + 1}`;
    if (base === 'BACKWARD' || base === 'FULL') {
      for (const f of checkReaderWriter(candidate, old)) {
        findings.push({ ...f, direction: `new schema reading data written by ${label}` });
      }
    }
    if (base === 'FORWARD' || base === 'FULL') {
      for (const f of checkReaderWriter(old, candidate)) {
        findings.push({ ...f, direction: `${label} reading data written by the new schema` });
      }
    }
  }
  return findings;
}

export function formatFinding(f: LevelFinding): string {
  return `${f.path || '(root)'}: ${f.rule} [${f.direction}]`;
}

function kindOf(type: avro.Type): string {
  if (avro.Type.isType(type, 'union')) return 'union';
  return type.typeName === 'error' ? 'record' : type.typeName;
}

function describe(type: avro.Type): string {
  const kind = kindOf(type);
  const name = (type as unknown as Named).name;
  return name ? `${kind} ${name}` : kind;
}

function unqualified(name: string): string {
  return name.slice(name.lastIndexOf('.') + 1);
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.path}\u0000${f.rule}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
