import { describe, expect, it } from 'vitest';
import { agent, graphOf, type PairSpec } from './fixture.js';
import { detectPatterns } from './patterns.js';

/** h asks s1..s5 (they answer); a → b → c → d pass work; q asks n, who never answers; i is silent. */
function scenario() {
  const pairs: PairSpec[] = [];
  for (let i = 1; i <= 5; i++) pairs.push(['h', `s${i}`, 1, 1, 1], [`s${i}`, 'h', 1]);
  pairs.push(['a', 'b', 2, 2, 2], ['b', 'a', 2], ['b', 'c', 1, 1, 1], ['c', 'b', 1], ['c', 'd', 1, 1, 1]);
  pairs.push(['d', 'c', 1], ['q', 'n', 4, 4, 0]);
  const agents = ['h', 's1', 's2', 's3', 's4', 's5', 'a', 'b', 'c', 'd', 'q', 'i'];
  return graphOf([...agents, agent('n', { backlog: 4 })], pairs);
}

const of = (kind: string) => detectPatterns(scenario()).filter((f) => f.kind === kind);

describe('pattern detection', () => {
  it('names the hub with its share of its group', () => {
    expect(of('hub')).toEqual([
      {
        kind: 'hub',
        agents: ['h', 's1', 's2', 's3', 's4', 's5'],
        figures: { neighbours: 5, messages: 10, group_messages: 10, traffic_share: 1, degree_share: 1 },
        summary: 'H is a hub: linked with 5 agents, it carries 10 of the 10 messages of its group (100%)',
      },
    ]);
  });

  it('names the pipeline in order; responses going back do not break it', () => {
    const [p, ...rest] = of('pipeline');
    expect(rest).toEqual([]);
    expect(p!.agents).toEqual(['a', 'b', 'c', 'd']);
    expect(p!.figures).toEqual({ agents: 4, hops: 3, work_messages: 4, min_hop_messages: 1 });
  });

  it('names the agent that never answers as the bottleneck', () => {
    const [b, ...rest] = of('bottleneck');
    expect(rest).toEqual([]);
    expect(b!.agents).toEqual(['n']);
    expect(b!.figures).toEqual({
      backlog: 4,
      unanswered_requests: 4,
      waiting: 4,
      peers_mean_waiting: 0,
      betweenness: 0,
    });
  });

  it('flags an agent many paths go through once anything waits on it', () => {
    const g = graphOf(
      ['x', 'y', agent('m', { backlog: 1 }), 'z'],
      [
        ['x', 'm', 1],
        ['y', 'm', 1],
        ['m', 'z', 2],
      ],
    );
    const b = detectPatterns(g).filter((f) => f.kind === 'bottleneck');
    expect(b.map((f) => [f.agents, f.figures.betweenness])).toEqual([[['m'], 0.3333]]);
  });

  it('groups communities without mixing unlinked groups, and lists isolated agents', () => {
    const groups = of('community').map((f) => f.agents);
    for (const g of groups) {
      const inStar = g.some((id) => id === 'h' || id.startsWith('s'));
      expect(g.every((id) => (id === 'h' || id.startsWith('s')) === inStar)).toBe(true);
    }
    expect(groups.flat()).toContain('h');
    expect(of('isolated').map((f) => f.agents)).toEqual([['i']]);
  });

  it('an empty graph has no patterns', () => {
    expect(detectPatterns(graphOf([], []))).toEqual([]);
  });
});
