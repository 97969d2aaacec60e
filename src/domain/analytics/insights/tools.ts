/**
 * Failing or slow calls: a downstream tool or hub operation whose error rate is high over enough
 * calls, and a downstream tool whose p95 latency is far above the other tools'. Hub operations are
 * not judged on latency: several block by design (wait_for_messages, send_to_instance, wait_for_task).
 */
import { type Finding, median, round } from './finding.js';

export const FAILING = {
  /** Calls before an error rate means anything (tools; operations need opMinCalls). */
  minCalls: 3,
  opMinCalls: 5,
  /** Error rate for a warning, and for a critical finding. */
  rate: 0.25,
  criticalRate: 0.5,
};

export const SLOW_TOOL = {
  minCalls: 3,
  /** p95 at least this many times the other tools' median p95… */
  factor: 5,
  /** …and at least this slow. */
  minMs: 1000,
  /** Other tools needed for a comparison. */
  minPeers: 2,
};

export interface CallFigures {
  name: string;
  calls: number;
  errors: number;
  error_rate: number;
  p95_ms: number | null;
}

function failing(kind: 'tool' | 'operation', rows: readonly CallFigures[]): Finding[] {
  const minCalls = kind === 'tool' ? FAILING.minCalls : FAILING.opMinCalls;
  return rows
    .filter((r) => r.calls >= minCalls && r.error_rate >= FAILING.rate)
    .map((r) => ({
      kind: kind === 'tool' ? 'failing_tool' : 'failing_operation',
      severity: r.error_rate >= FAILING.criticalRate ? 'critical' : 'warning',
      title: `${kind === 'tool' ? 'Downstream tool' : 'Hub operation'} ${r.name} failed ${r.errors} of ${r.calls} calls (${round(r.error_rate * 100, 1)}%)`,
      agents: [],
      evidence: { calls: r.calls, errors: r.errors, error_rate: r.error_rate },
      action:
        kind === 'tool'
          ? 'Check the server (server_health, its logs) and the inputs callers send; disable or fix the tool, ' +
            'or tell agents to stop calling it until it works.'
          : 'Read the error codes callers get (hub logs, analytics per caller) — usually invalid input or ' +
            'missing rights — and fix the calling agents or their instructions.',
    }));
}

function slowTools(rows: readonly CallFigures[]): Finding[] {
  const timed = rows.filter((r) => r.calls >= SLOW_TOOL.minCalls && r.p95_ms !== null);
  const out: Finding[] = [];
  for (const r of timed) {
    const peers = timed.filter((p) => p.name !== r.name);
    if (peers.length < SLOW_TOOL.minPeers) continue;
    const peersMedian = median(peers.map((p) => p.p95_ms!))!;
    if (r.p95_ms! < SLOW_TOOL.minMs || r.p95_ms! < SLOW_TOOL.factor * peersMedian) continue;
    out.push({
      kind: 'slow_tool',
      severity: 'warning',
      title: `Downstream tool ${r.name} takes ${r.p95_ms} ms at p95, against ${peersMedian} ms for other tools`,
      agents: [],
      evidence: { calls: r.calls, p95_ms: r.p95_ms!, peers_median_p95_ms: peersMedian, peers: peers.length },
      action:
        'Look at the server behind it (load, network, a timeout per tool in gateway.servers); ' +
        'cache its answers if they repeat, or call it less often.',
    });
  }
  return out;
}

export function callFindings(calls: {
  tools: readonly CallFigures[];
  operations: readonly CallFigures[];
}): Finding[] {
  return [
    ...failing('tool', calls.tools),
    ...slowTools(calls.tools),
    ...failing('operation', calls.operations),
  ];
}
