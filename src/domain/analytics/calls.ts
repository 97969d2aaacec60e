/** Call figures (calls, errors, mean and percentiles) per hub operation and downstream tool, from call rollups. */
import type { CallRollup } from '../../store/analytics.js';
import { percentile } from './histogram.js';

export interface CallFigures {
  name: string;
  calls: number;
  errors: number;
  error_rate: number;
  mean_ms: number;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Sums the rows (one per kind, name and latency bin) into figures per operation and per tool. */
export function callFigures(rows: ReadonlyArray<Omit<CallRollup, 'minute' | 'project'>>): {
  operations: CallFigures[];
  tools: CallFigures[];
} {
  const named = new Map<string, Array<(typeof rows)[number]>>();
  for (const r of rows) {
    const key = `${r.kind}\u0000${r.name}`;
    named.set(key, [...(named.get(key) ?? []), r]);
  }
  const out = { operations: [] as CallFigures[], tools: [] as CallFigures[] };
  for (const rs of named.values()) {
    const calls = sum(rs.map((r) => r.calls));
    const errors = sum(rs.map((r) => r.errors));
    const hist = new Map(rs.map((r) => [r.bin, r.calls]));
    (rs[0]!.kind === 'operation' ? out.operations : out.tools).push({
      name: rs[0]!.name,
      calls,
      errors,
      error_rate: calls ? round(errors / calls, 4) : 0,
      mean_ms: calls ? round(sum(rs.map((r) => r.latencyMsSum)) / calls, 3) : 0,
      p50_ms: percentile(hist, 0.5),
      p95_ms: percentile(hist, 0.95),
      p99_ms: percentile(hist, 0.99),
    });
  }
  return out;
}
