/**
 * Graph patterns as insights: the communication graph's detect_patterns findings (hub-and-spoke,
 * pipelines, bottlenecks by betweenness and backlog) mapped to findings with an action. Other
 * pattern kinds (communities, isolated agents) are left out: the isolated rule covers the latter.
 */
import type { Finding, Severity } from './finding.js';

/** The shape of a detect_patterns finding (src/domain/graph/patterns.ts). */
export interface PatternFinding {
  kind: string;
  agents: string[];
  figures: Record<string, number>;
  summary: string;
}

const HUB = {
  kind: 'hub_and_spoke',
  severity: 'info',
  action:
    'Most traffic goes through one agent: if it stops, the others stop. Let spokes talk directly ' +
    '(topics, capability addresses) or give the hub a stand-in.',
} as const;

/** By detect_patterns kind (the graph calls a hub-and-spoke centre `hub`). */
const MAPPED: Record<string, { kind: string; severity: Severity; action: string }> = {
  hub: HUB,
  hub_and_spoke: HUB,
  pipeline: {
    kind: 'pipeline',
    severity: 'info',
    action:
      'Work passes along a chain: the slowest stage sets the pace. Watch each stage’s backlog and ' +
      'add a second agent to the slowest one.',
  },
  bottleneck: {
    kind: 'bottleneck',
    severity: 'warning',
    action:
      'Many paths run through this agent and its backlog shows it: add a peer with the same capability ' +
      'or route around it (find_route).',
  },
};

export function patternFindings(patterns: readonly PatternFinding[]): Finding[] {
  const out: Finding[] = [];
  for (const p of patterns) {
    const m = MAPPED[p.kind];
    if (!m) continue;
    out.push({
      kind: m.kind,
      severity: m.severity,
      title: p.summary,
      agents: [...p.agents],
      evidence: { ...p.figures },
      action: m.action,
    });
  }
  return out;
}
