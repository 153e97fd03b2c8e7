// Apicurio Registry serving the Confluent-compatible API (/apis/ccompat/v7), set up to behave
// like Confluent Schema Registry: durable SQL storage on PostgreSQL, Confluent-style ids,
// BACKWARD as the global default compatibility, idempotent registration.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { findJava, requireMaven } from './java';
import { localRepositoryDir, runMaven } from './fetch';
import { runQuiet, spawnDetached, type Tracked } from './process';
import { ROOT, type PostgresSettings, type RegistrySettings } from './settings';

/** Apicurio Registry 3.3 is compiled for Java 21 (class files of version 65). */
export const REGISTRY_MIN_JAVA = 21;
const POM = join(ROOT, 'scripts', 'stack', 'pom.xml');

/** The unpacked distribution's launcher: at its root, or under quarkus-app/ in some releases. */
function runJar(r: RegistrySettings): string | undefined {
  return [join(r.home, 'quarkus-run.jar'), join(r.home, 'quarkus-app', 'quarkus-run.jar')].find((f) =>
    existsSync(f),
  );
}

export function registryFetched(r: RegistrySettings): boolean {
  return runJar(r) !== undefined;
}

/** The registry's distribution archive, as Maven Central holds it (3.3.3: 160 MB). */
export const REGISTRY_DOWNLOAD_MB = 160;

/** Fetches io.apicurio:apicurio-registry-app:<version>:tar.gz:all and unpacks it into `home`. */
export async function fetchRegistry(r: RegistrySettings, stackDir: string): Promise<void> {
  requireMaven();
  const downloads = join(stackDir, 'downloads');
  await runMaven({
    args: [
      '-f',
      POM,
      'dependency:copy',
      `-Dartifact=io.apicurio:apicurio-registry-app:${r.version}:tar.gz:all`,
      `-DoutputDirectory=${downloads}`,
    ],
    what: `fetching Apicurio Registry ${r.version}`,
    progress: {
      dir: localRepositoryDir('io.apicurio', 'apicurio-registry-app', r.version),
      name: `apicurio-registry-app-${r.version}-all.tar.gz`,
      megabytes: REGISTRY_DOWNLOAD_MB,
      label: `Apicurio Registry ${r.version}`,
    },
  });
  const tarball = join(downloads, `apicurio-registry-app-${r.version}-all.tar.gz`);
  const partial = `${r.home}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  runQuiet('tar', ['-xzf', tarball, '-C', partial], `unpacking ${tarball}`);
  rmSync(r.home, { recursive: true, force: true });
  renameSync(partial, r.home);
  rmSync(tarball, { force: true }); // Maven's local repository keeps a copy
  if (!registryFetched(r)) throw new Error(`no quarkus-run.jar in ${r.home}`);
}

/** JDBC URL of the registry's own database, on the server of DATABASE_URL. */
export function registryJdbcUrl(r: RegistrySettings, pg: PostgresSettings): string {
  return `jdbc:postgresql://${pg.host}:${pg.port}/${r.database}`;
}

/**
 * Starts the registry detached. Every setting is a system property, visible with `ps`, except
 * the database password, which goes through the environment.
 */
export function startRegistry(r: RegistrySettings, pg: PostgresSettings, marker: string): Tracked {
  const java = findJava(REGISTRY_MIN_JAVA, `Apicurio Registry ${r.version}`);
  const jar = runJar(r);
  if (!jar) throw new Error(`Apicurio Registry ${r.version} is not unpacked in ${r.home}`);
  const properties: Record<string, string | number | boolean> = {
    'quarkus.http.host': '127.0.0.1',
    'quarkus.http.port': r.port,
    // Health and metrics live on a separate management port: any free one, never a clash.
    'quarkus.management.host': '127.0.0.1',
    'quarkus.management.port': 0,
    // Durable storage: schemas and their ids survive a restart.
    'apicurio.storage.kind': 'sql',
    'apicurio.storage.sql.kind': 'postgresql',
    'apicurio.datasource.url': registryJdbcUrl(r, pg),
    'apicurio.datasource.username': pg.user,
    'apicurio.datasource.jdbc.initial-size': 2,
    'apicurio.datasource.jdbc.min-size': 2,
    'apicurio.datasource.jdbc.max-size': 10,
    // Confluent's default compatibility level, for every subject without its own.
    'apicurio.rules.global.compatibility': 'BACKWARD',
    // Ids are content ids: one id per distinct schema, shared by every subject using it.
    'apicurio.ccompat.legacy-id-mode.enabled': false,
    // Look a schema up by its canonical form, so re-registering it finds the existing one.
    'apicurio.ccompat.use-canonical-hash': true,
    // Confluent's GET /subjects lists every subject; Apicurio stops at 1,000 unless told.
    'apicurio.ccompat.max-subjects': 100_000,
    // The log keeps one access line per request; audit and metrics chatter only when it matters.
    'quarkus.log.console.format': '%d{yyyy-MM-dd HH:mm:ss,SSS} %-5p [%c{3.}] (%t) %s%e%n',
    'quarkus.log.category."io.apicurio.registry.logging.audit".level': 'WARN',
    'quarkus.log.category."io.apicurio.registry.storage.metrics".level': 'WARN',
  };
  return spawnDetached({
    command: java.bin,
    args: [
      '-Xms128m',
      '-Xmx384m',
      // Pauses are the first suspect when the registry answers slowly: they are logged beside it.
      `-Xlog:gc:file=${r.logFile.replace(/\.log$/, '-gc.log')}:uptime,time`,
      '-Djava.awt.headless=true',
      marker,
      ...Object.entries(properties).map(([key, value]) => `-D${key}=${value}`),
      '-jar',
      jar,
    ],
    cwd: r.home,
    env: { ...process.env, APICURIO_DATASOURCE_PASSWORD: pg.password },
    logFile: r.logFile,
    marker,
  });
}

/** Ready when the Confluent-compatible API lists subjects. */
export async function registryReady(r: RegistrySettings): Promise<boolean> {
  const response = await fetch(`${r.url}/subjects`, { signal: AbortSignal.timeout(3_000) });
  await response.arrayBuffer();
  return response.status === 200;
}
