// Finds a Java runtime new enough for a component, and checks Maven, with one clear error each.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { StackError } from './process';

export interface Java {
  bin: string;
  major: number;
}

const found = new Map<string, Java | null>();

function probe(bin: string): Java | null {
  if (found.has(bin)) return found.get(bin)!;
  const result = spawnSync(bin, ['-version'], { encoding: 'utf8' });
  const match = /version "(\d+)(?:\.(\d+))?/.exec(`${result.stderr ?? ''}${result.stdout ?? ''}`);
  let java: Java | null = null;
  if (!result.error && match) {
    const first = Number(match[1]);
    java = { bin, major: first === 1 ? Number(match[2]) : first };
  }
  found.set(bin, java);
  return java;
}

/** JAVA_HOME first, then `java` on PATH, then every JDK under /usr/lib/jvm; each once. */
function candidates(): string[] {
  const list: string[] = [];
  if (process.env.JAVA_HOME) list.push(join(process.env.JAVA_HOME, 'bin', 'java'));
  const onPath = (process.env.PATH ?? '')
    .split(delimiter)
    .map((dir) => join(dir, 'java'))
    .find((bin) => existsSync(bin));
  if (onPath) list.push(onPath);
  const jvmDir = '/usr/lib/jvm';
  if (existsSync(jvmDir)) {
    for (const name of readdirSync(jvmDir).sort()) list.push(join(jvmDir, name, 'bin', 'java'));
  }
  const real = new Set<string>();
  return list.filter((bin) => {
    if (!existsSync(bin)) return false;
    const target = realpathSync(bin);
    if (real.has(target)) return false;
    real.add(target);
    return true;
  });
}

/** The first Java runtime of at least `minMajor`, or a StackError naming what was found. */
export function findJava(minMajor: number, forWhat: string): Java {
  const seen: Java[] = [];
  for (const bin of candidates()) {
    const java = probe(bin);
    if (!java) continue;
    if (java.major >= minMajor) return java;
    seen.push(java);
  }
  const have = seen.length
    ? `found only ${seen.map((j) => `Java ${j.major} (${j.bin})`).join(', ')}`
    : 'no java found';
  throw new StackError(
    `${forWhat} needs Java ${minMajor}+, ${have}: install a JDK ${minMajor}+ (under /usr/lib/jvm) or set JAVA_HOME to one`,
  );
}

/** Checks that Maven runs (it fetches Kafka and Apicurio from Maven Central). */
export function requireMaven(): void {
  const result = spawnSync('mvn', ['-v'], { encoding: 'utf8' });
  const match = /Apache Maven (\d+)\.(\d+)\.(\d+)/.exec(result.stdout ?? '');
  if (result.error || !match) {
    throw new StackError(
      'mvn not found: install Apache Maven 3.6.3+ (it fetches Kafka and Apicurio Registry)',
    );
  }
  const [major, minor, patch] = match.slice(1).map(Number) as [number, number, number];
  if (major * 10_000 + minor * 100 + patch < 30_603) {
    throw new StackError(`mvn ${match[0]} is too old: install Apache Maven 3.6.3+`);
  }
}
