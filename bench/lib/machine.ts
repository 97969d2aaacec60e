/**
 * How busy the machine is, read at the start and the end of a bench run: the load average and, where
 * the kernel has it (Linux PSI, /proc/pressure/cpu), the share of time some runnable task waited for
 * a CPU — the machine-wide runqueue wait. A bench figure on a shared machine means little without it.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

export interface MachineLoad {
  /** 1, 5 and 15 minute load averages. */
  loadavg: [number, number, number];
  /** PSI "some" line of /proc/pressure/cpu: % of wall time some task waited for a CPU (10 s, 60 s windows). */
  cpuPressure?: { avg10: number; avg60: number };
}

/** Parses the "some" line of /proc/pressure/cpu; undefined when it is not there. */
export function parseCpuPressure(text: string): MachineLoad['cpuPressure'] {
  const line = text.split('\n').find((l) => l.startsWith('some '));
  const avg10 = /avg10=([\d.]+)/.exec(line ?? '')?.[1];
  const avg60 = /avg60=([\d.]+)/.exec(line ?? '')?.[1];
  if (avg10 === undefined || avg60 === undefined) return undefined;
  return { avg10: Number(avg10), avg60: Number(avg60) };
}

export function machineLoad(): MachineLoad {
  const [a, b, c] = loadavg().map((x) => Math.round(x * 100) / 100);
  let cpuPressure: MachineLoad['cpuPressure'];
  try {
    cpuPressure = parseCpuPressure(readFileSync('/proc/pressure/cpu', 'utf8'));
  } catch {
    cpuPressure = undefined; // not Linux, or PSI off
  }
  return { loadavg: [a, b, c], ...(cpuPressure ? { cpuPressure } : {}) };
}
