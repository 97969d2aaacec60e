import { describe, expect, it } from 'vitest';
import { costFindings } from './cost.js';

describe('cost rule', () => {
  it('flags the agent that spends far more than the median of the other spenders', () => {
    const found = costFindings([
      { agent_id: 'big', name: 'Big', tokens: 5000, cost_usd: 1.5 },
      { agent_id: 'a', name: 'A', tokens: 200, cost_usd: 0.02 },
      { agent_id: 'b', name: 'B', tokens: 300, cost_usd: 0.03 },
      { agent_id: 'c', name: 'C', tokens: 100, cost_usd: 0.01 },
      // agents without instances do not count as peers
      { agent_id: 'human', name: null, tokens: 0, cost_usd: 0 },
    ]);
    expect(found).toEqual([
      {
        kind: 'cost_outlier',
        severity: 'critical',
        title: 'Big (big) spent $1.5, 75 times the median of its peers ($0.02)',
        agents: ['big'],
        evidence: { cost_usd: 1.5, peers_median_usd: 0.02, times_median: 75, tokens: 5000, peers: 3 },
        action: expect.stringContaining('budget'),
      },
    ]);
  });

  it('is a warning between 3 and 10 times, and silent on small sums or too few peers', () => {
    const warn = costFindings([
      { agent_id: 'x', name: null, tokens: 1, cost_usd: 0.5 },
      { agent_id: 'a', name: null, tokens: 1, cost_usd: 0.1 },
      { agent_id: 'b', name: null, tokens: 1, cost_usd: 0.1 },
    ]);
    expect(warn.map((f) => [f.agents[0], f.severity, f.evidence.times_median])).toEqual([
      ['x', 'warning', 5],
    ]);
    expect(
      costFindings([
        { agent_id: 'x', name: null, tokens: 1, cost_usd: 0.04 },
        { agent_id: 'a', name: null, tokens: 1, cost_usd: 0.001 },
        { agent_id: 'b', name: null, tokens: 1, cost_usd: 0.001 },
      ]),
    ).toEqual([]);
    expect(
      costFindings([
        { agent_id: 'x', name: null, tokens: 1, cost_usd: 5 },
        { agent_id: 'a', name: null, tokens: 1, cost_usd: 0.01 },
      ]),
    ).toEqual([]);
  });
});
