// Fetching the stack's Java parts from Maven Central, quietly: one line up front saying what
// is downloaded, how big it is and that it happens once, then Maven with -q (no line per
// artifact) and, for the large registry archive, a progress line read from the file Maven
// is writing into its local repository.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { lastLines, StackError } from './process';

/** What the first start fetches; the sizes are those of the pinned versions. */
export interface Download {
  what: string;
  megabytes: number;
}

/** The one line printed before anything is fetched. */
export function firstFetchLine(downloads: Download[], stackDir: string): string {
  const list = downloads.map((d) => `${d.what} (~${d.megabytes} MB)`).join(' and ');
  const total = downloads.reduce((sum, d) => sum + d.megabytes, 0);
  return (
    `first start: downloading ${list} from Maven Central, ~${total} MB in all, into ${stackDir} ` +
    `and ~/.m2; this happens once, later starts reuse them`
  );
}

/** Maven's arguments: batch mode, no colours, and -q so only errors are printed. */
export function mavenArgs(args: string[]): string[] {
  return ['-B', '-q', '-Dstyle.color=never', ...args];
}

export function progressLine(what: string, bytes: number, totalMegabytes: number, seconds: number): string {
  const mb = Math.min(bytes / 1_000_000, totalMegabytes);
  const percent = Math.floor((mb / totalMegabytes) * 100);
  return `  ${what}: ${mb.toFixed(0)} of ~${totalMegabytes} MB (${percent}%), ${seconds.toFixed(0)} s`;
}

/** Bytes of the files in `dir` whose names start with `name` (Maven's partial file included). */
export function bytesOf(dir: string, name: string): number {
  if (!existsSync(dir)) return 0;
  let total = 0;
  for (const file of readdirSync(dir)) {
    if (!file.startsWith(name) || file.endsWith('.sha1') || file.endsWith('.lock')) continue;
    try {
      total += statSync(join(dir, file)).size;
    } catch {
      // renamed or removed while we looked: counted on the next look
    }
  }
  return total;
}

/** Maven's local repository directory of one artifact (settings.xml overrides are not read). */
export function localRepositoryDir(groupId: string, artifactId: string, version: string): string {
  const root = process.env.MAVEN_REPO_LOCAL ?? join(homedir(), '.m2', 'repository');
  return join(root, ...groupId.split('.'), artifactId, version);
}

export interface MavenRun {
  args: string[];
  /** Says what failed, e.g. "fetching Kafka 3.9.1". */
  what: string;
  /** A file to watch while Maven runs, with its expected size: a progress line every few seconds. */
  progress?: { dir: string; name: string; megabytes: number; label: string };
  /** Where progress goes (stdout by default). */
  print?: (line: string) => void;
  /** The Maven executable (tests run a stand-in script). */
  command?: string;
  everyMs?: number;
}

/** Runs Maven quietly; on failure the error carries Maven's last lines. */
export async function runMaven(run: MavenRun): Promise<void> {
  const print = run.print ?? ((line: string) => console.log(line));
  const child = spawn(run.command ?? 'mvn', mavenArgs(run.args), { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const started = Date.now();
  const timer = run.progress
    ? setInterval(() => {
        const { dir, name, megabytes, label } = run.progress!;
        print(progressLine(label, bytesOf(dir, name), megabytes, (Date.now() - started) / 1000));
      }, run.everyMs ?? 5_000)
    : undefined;
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', resolve);
    }).catch((error: Error) => {
      throw new StackError(`${run.what}: could not run ${run.command ?? 'mvn'}: ${error.message}`);
    });
    if (code !== 0)
      throw new StackError(`${run.what} failed (mvn exited with ${code})`, lastLines(output, 20));
  } finally {
    if (timer) clearInterval(timer);
  }
}
