import { describe, expect, it } from 'vitest';
import { meanLatencyOf, reliabilityOf, trafficOf, unansweredOf } from './build.js';
import { graphOf } from './fixture.js';

describe('communication graph build', () => {
  it('reliability is answered requests over requests, capped at 1, null without requests', () => {
    expect(reliabilityOf({ requests: 4, responses: 3 })).toBe(0.75);
    expect(reliabilityOf({ requests: 3, responses: 1 })).toBe(0.3333);
    expect(reliabilityOf({ requests: 1, responses: 2 })).toBe(1);
    expect(reliabilityOf({ requests: 0, responses: 2 })).toBeNull();
    expect(meanLatencyOf({ latencyMsSum: 30, latencyCount: 4 })).toBe(7.5);
    expect(meanLatencyOf({ latencyMsSum: 0, latencyCount: 0 })).toBeNull();
  });

  it('one node per agent, one directed edge per pair whose ends are known, self-talk left out', () => {
    const g = graphOf(
      ['a', 'b', 'c'],
      [
        ['a', 'b', 3, 2, 1, 40],
        ['b', 'a', 1],
        ['a', 'a', 5],
        ['a', 'ghost', 2],
      ],
    );
    expect(g.order).toBe(3);
    expect(g.size).toBe(2);
    expect(g.getDirectedEdgeAttributes('a', 'b')).toMatchObject({
      messages: 3,
      requests: 2,
      responses: 1,
      reliability: 0.5,
      meanLatencyMs: 40,
    });
    expect(trafficOf(g, 'a')).toBe(4);
    expect(unansweredOf(g, 'b')).toBe(1);
    expect(g.degree('c')).toBe(0);
  });
});
