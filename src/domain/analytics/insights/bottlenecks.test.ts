import { describe, expect, it } from 'vitest';
import { backlogFindings, slowResponderFindings } from './bottlenecks.js';

describe('bottleneck rules', () => {
  it('flags an inbox of unread messages that grows, not one that is read or answered', () => {
    const found = backlogFindings([
      { agent_id: 'w5', name: 'W5', sent: 0, received: 6, answered: 0, unread: 6 },
      { agent_id: 'big', name: null, sent: 1, received: 80, answered: 0, unread: 60 },
      // reads its inbox
      { agent_id: 'w1', name: 'W1', sent: 0, received: 20, answered: 0, unread: 0 },
      // a few unread only
      { agent_id: 'w2', name: 'W2', sent: 0, received: 4, answered: 0, unread: 4 },
      // puts out as much as it takes in
      { agent_id: 'hub', name: 'Hub', sent: 10, received: 10, answered: 5, unread: 7 },
    ]);
    expect(found).toEqual([
      {
        kind: 'backlog',
        severity: 'warning',
        title: 'W5 (w5) has 6 unread messages and takes in more than it sends',
        agents: ['w5'],
        evidence: { unread: 6, received: 6, sent: 0, answered: 0 },
        action: expect.stringContaining('reads its inbox'),
      },
      expect.objectContaining({
        agents: ['big'],
        severity: 'critical',
        evidence: expect.objectContaining({ unread: 60 }),
      }),
    ]);
  });

  it('flags a responder far slower than the median of its peers', () => {
    const found = slowResponderFindings([
      { agent_id: 'slow', name: 'Slow', responses: 2, latency_ms_sum: 60_000 },
      { agent_id: 'a', name: 'A', responses: 1, latency_ms_sum: 100 },
      { agent_id: 'b', name: 'B', responses: 2, latency_ms_sum: 400 },
      { agent_id: 'c', name: 'C', responses: 1, latency_ms_sum: 300 },
      { agent_id: 'silent', name: 'S', responses: 0, latency_ms_sum: 0 },
    ]);
    expect(found).toEqual([
      {
        kind: 'slow_responder',
        severity: 'critical',
        title: 'Slow (slow) answers in 30 s on average, against 0.2 s for its peers',
        agents: ['slow'],
        evidence: { mean_response_ms: 30_000, peers_median_ms: 200, responses: 2, peers: 3 },
        action: expect.stringContaining('recommend_agents'),
      },
    ]);
  });

  it('is a warning under ten times the peers, and silent when the gap is small or peers are few', () => {
    const warn = slowResponderFindings([
      { agent_id: 's', name: null, responses: 1, latency_ms_sum: 8000 },
      { agent_id: 'a', name: null, responses: 1, latency_ms_sum: 2000 },
      { agent_id: 'b', name: null, responses: 1, latency_ms_sum: 2000 },
    ]);
    expect(warn.map((f) => [f.agents[0], f.severity, f.evidence.peers_median_ms])).toEqual([
      ['s', 'warning', 2000],
    ]);
    // 30 ms against 1 ms: far in ratio, but under the 1 s gap
    expect(
      slowResponderFindings([
        { agent_id: 's', name: null, responses: 1, latency_ms_sum: 30 },
        { agent_id: 'a', name: null, responses: 1, latency_ms_sum: 1 },
        { agent_id: 'b', name: null, responses: 1, latency_ms_sum: 1 },
      ]),
    ).toEqual([]);
    // one peer only: nothing to compare with
    expect(
      slowResponderFindings([
        { agent_id: 's', name: null, responses: 1, latency_ms_sum: 60_000 },
        { agent_id: 'a', name: null, responses: 1, latency_ms_sum: 1 },
      ]),
    ).toEqual([]);
  });
});
