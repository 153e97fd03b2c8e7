// What the kernel says about a process and the machine: CPU time and resident memory,
// read from /proc so that it works for any process, ours or the stack's.
import { readFileSync, readdirSync } from 'node:fs';

const TICK_MS = 10; // CLK_TCK is 100 on Linux

/** User + system CPU time of a process, in ms (0 when it is gone). */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/** Resident set size of a process, in MB (0 when it is gone). */
export function processRssMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
    return kb ? Number(kb) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Busy CPU time of the whole machine, all cores, in ms. */
export function machineBusyMs(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) * TICK_MS;
}

/** A CPU reading of one process and of the machine, to subtract from a later one. */
export function cpuMark(pid: number): { process: number; machine: number; at: number } {
  return { process: processCpuMs(pid), machine: machineBusyMs(), at: performance.now() };
}

export type CpuSnapshot = Map<number, { cpu: number; label: string }>;

/** CPU time of every process on the machine, labelled: our children by name, the stack by role. */
export function cpuSnapshot(names: Map<number, string>): CpuSnapshot {
  const out: CpuSnapshot = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const cpu = processCpuMs(pid);
    if (cpu === 0) continue;
    out.set(pid, { cpu, label: names.get(pid) ?? labelOf(pid) });
  }
  return out;
}

const labels = new Map<number, string>();
function labelOf(pid: number): string {
  let label = labels.get(pid);
  if (label) return label;
  let cmd = '';
  let comm = '';
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return 'other';
  }
  if (pid === process.pid) label = 'bench (load, terminal reader)';
  else if (cmd.includes('kafka.Kafka') && cmd.includes('/work/main/.stack')) label = 'kafka broker';
  else if (cmd.includes('quarkus-run.jar') && cmd.includes('/work/main/.stack')) label = 'schema registry';
  else if (comm === 'postgres' || cmd.startsWith('postgres')) label = 'postgresql';
  else label = 'other';
  labels.set(pid, label);
  return label;
}

/** Percent of one core per label between two snapshots taken `wallMs` apart. */
export function cpuBreakdown(a: CpuSnapshot, b: CpuSnapshot, wallMs: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [pid, { cpu, label }] of b) {
    const used = cpu - (a.get(pid)?.cpu ?? 0);
    if (used > 0) out[label] = (out[label] ?? 0) + (used / wallMs) * 100;
  }
  for (const k of Object.keys(out)) out[k] = Math.round(out[k]!);
  return Object.fromEntries(Object.entries(out).sort((x, y) => y[1] - x[1]));
}

/**
 * CPU-ms per order of the pipeline's processes and the stack, from a breakdown over `wallMs`:
 * every labelled process but the bench's own (load generator, terminal reader) and `other`.
 */
export function platformCpuMsPerOrder(cpu: Record<string, number>, wallMs: number, orders: number): number {
  const percent = Object.entries(cpu)
    .filter(([label]) => label !== 'other' && !label.startsWith('bench '))
    .reduce((sum, [, p]) => sum + p, 0);
  return (percent / 100) * (wallMs / orders);
}
