/**
 * Cost outliers: an agent whose spend over the range is far above the median of its peers (the other
 * agents that spent anything: agents with instances).
 */
import { type Finding, label, median, round } from './finding.js';

export const COST = {
  /** At least this many times the peers' median… */
  factor: 3,
  /** …and at least this many dollars above it. */
  minGapUsd: 0.05,
  criticalFactor: 10,
  minPeers: 2,
};

export interface AgentSpend {
  agent_id: string;
  name: string | null;
  tokens: number;
  cost_usd: number;
}

export function costFindings(agents: readonly AgentSpend[]): Finding[] {
  const spenders = agents.filter((a) => a.cost_usd > 0);
  const out: Finding[] = [];
  for (const a of spenders) {
    const peers = spenders.filter((p) => p.agent_id !== a.agent_id);
    if (peers.length < COST.minPeers) continue;
    const peersMedian = median(peers.map((p) => p.cost_usd))!;
    if (a.cost_usd < COST.factor * peersMedian || a.cost_usd - peersMedian < COST.minGapUsd) continue;
    const times = a.cost_usd / peersMedian;
    out.push({
      kind: 'cost_outlier',
      severity: times >= COST.criticalFactor ? 'critical' : 'warning',
      title: `${label(a)} spent $${round(a.cost_usd, 4)}, ${round(times, 1)} times the median of its peers ($${round(peersMedian, 4)})`,
      agents: [a.agent_id],
      evidence: {
        cost_usd: round(a.cost_usd, 6),
        peers_median_usd: round(peersMedian, 6),
        times_median: round(times, 2),
        tokens: a.tokens,
        peers: peers.length,
      },
      action:
        "Read the agent's instance turns (get_instance_output): a loop, a large context or a bigger model; " +
        'set a budget on its instances (spawn_instance budget) or a cheaper model.',
    });
  }
  return out;
}
