import { describe, expect, it } from 'vitest';
import { patternFindings } from './patterns.js';

describe('graph patterns as insights', () => {
  it('maps hub-and-spoke, pipeline and bottleneck findings, and leaves other kinds out', () => {
    // A stub of detect_patterns' answer: the shape src/domain/graph/patterns.ts exports.
    const found = patternFindings([
      {
        kind: 'hub_and_spoke',
        agents: ['hub', 'w1', 'w2'],
        figures: { share: 0.9, spokes: 2 },
        summary: 'hub talks with 2 spokes',
      },
      { kind: 'pipeline', agents: ['a', 'b', 'c'], figures: { length: 3 }, summary: 'a → b → c' },
      {
        kind: 'bottleneck',
        agents: ['b'],
        figures: { betweenness: 0.66, unread: 9 },
        summary: 'b sits on most paths',
      },
      { kind: 'community', agents: ['a', 'b'], figures: { size: 2 }, summary: 'a community' },
    ]);
    expect(found).toEqual([
      {
        kind: 'hub_and_spoke',
        severity: 'info',
        title: 'hub talks with 2 spokes',
        agents: ['hub', 'w1', 'w2'],
        evidence: { share: 0.9, spokes: 2 },
        action: expect.stringContaining('stand-in'),
      },
      expect.objectContaining({
        kind: 'pipeline',
        severity: 'info',
        agents: ['a', 'b', 'c'],
        evidence: { length: 3 },
      }),
      expect.objectContaining({
        kind: 'bottleneck',
        severity: 'warning',
        agents: ['b'],
        evidence: { betweenness: 0.66, unread: 9 },
      }),
    ]);
  });
});
