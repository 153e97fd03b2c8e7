// Loads a service's module by its name in the services table: services/<name>/src/service.ts,
// the layout serviceCommand (defaults.ts) starts processes from too. The tests' platform, the
// bench and the compose checks start or read services through it, so a new service needs no
// line there.
import type { Env, ServiceConfig } from './config';
import type { RunningService, StartOptions } from './service';
import type { ServiceName } from './services';

/** What services/<name>/src/service.ts exports; serviceModule (service.ts) builds both. */
export interface ServiceModule {
  readConfig(env: Env): LoadedConfig;
  start(config: LoadedConfig, options?: StartOptions): Promise<RunningService>;
}

/** The common settings and the service's own ones. */
type LoadedConfig = ServiceConfig & { own: Record<string, unknown> };

export async function loadService(name: ServiceName): Promise<ServiceModule> {
  const module: Partial<ServiceModule> = await import(`../../${name}/src/service`);
  const { readConfig, start } = module;
  if (typeof readConfig !== 'function' || typeof start !== 'function')
    throw new Error(`services/${name}/src/service.ts exports no readConfig and start (see serviceModule)`);
  return { readConfig, start };
}
