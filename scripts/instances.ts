// How many instances of each service `npm start` and `npm run up` run, and on which HTTP ports:
// `--instances billing=2,inventory=2` or ORDERFLOW_INSTANCES (the flag wins). Instances of one
// service share its consumer group (Kafka spreads the partitions) and nothing else but PostgreSQL.
// The first instance keeps the service's port; instance n listens on that port + 100 × (n − 1).
import { SERVICE_NAMES, TOPIC_DEFAULTS, type ServiceName } from '../services/shared/src';

/** More instances than partitions would sit idle: a partition goes to one member of a group. */
export const MAX_INSTANCES = TOPIC_DEFAULTS.partitions;
const PORT_STEP = 100;

export interface Instance {
  service: ServiceName;
  /** 1-based. */
  index: number;
  /** How logs and pids name it: `billing`, `billing-2`, … */
  label: string;
  port: number;
}

export class InstancesError extends Error {}

/** `billing=2,inventory=2` → instance counts for every service (1 where not named). */
export function parseInstances(text: string | undefined): Record<ServiceName, number> {
  const counts = Object.fromEntries(SERVICE_NAMES.map((s) => [s, 1])) as Record<ServiceName, number>;
  if (!text?.trim()) return counts;
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const part of text.split(',').map((p) => p.trim())) {
    const match = /^([a-z]+)=(\d+)$/.exec(part);
    if (!match) {
      problems.push(`"${part}" is not <service>=<count>`);
      continue;
    }
    const [, service, count] = match as unknown as [string, string, string];
    if (!(SERVICE_NAMES as readonly string[]).includes(service))
      problems.push(`"${service}" is not a service (${SERVICE_NAMES.join(', ')})`);
    else if (seen.has(service)) problems.push(`${service} is named twice`);
    else if (Number(count) < 1 || Number(count) > MAX_INSTANCES)
      problems.push(`${service}=${count}: between 1 and ${MAX_INSTANCES} (its topics' partitions)`);
    else counts[service as ServiceName] = Number(count);
    seen.add(service);
  }
  if (problems.length > 0) throw new InstancesError(`bad instances "${text}": ${problems.join('; ')}`);
  return counts;
}

/** Every instance to run, each with its own port; throws when two would share one. */
export function planInstances(
  counts: Record<ServiceName, number>,
  portOf: (service: ServiceName) => number,
): Instance[] {
  const plan: Instance[] = [];
  for (const service of SERVICE_NAMES)
    for (let index = 1; index <= counts[service]; index++)
      plan.push({
        service,
        index,
        label: index === 1 ? service : `${service}-${index}`,
        port: portOf(service) + PORT_STEP * (index - 1),
      });
  const byPort = new Map<number, string>();
  for (const instance of plan) {
    const other = byPort.get(instance.port);
    if (other)
      throw new InstancesError(`${instance.label} and ${other} would both listen on ${instance.port}`);
    byPort.set(instance.port, instance.label);
  }
  return plan;
}

/** The instances text of `--instances X` / `--instances=X` in `args`, else ORDERFLOW_INSTANCES. */
export function instancesArgument(args: string[], env: NodeJS.ProcessEnv): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--instances') {
      if (args[i + 1] === undefined) throw new InstancesError('--instances needs a value, e.g. billing=2');
      return args[i + 1];
    }
    if (args[i]!.startsWith('--instances=')) return args[i]!.slice('--instances='.length);
  }
  return env.ORDERFLOW_INSTANCES;
}
