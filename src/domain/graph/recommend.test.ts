import { describe, expect, it } from 'vitest';
import { agent, graphOf } from './fixture.js';
import { recommendAgents } from './recommend.js';

const review = { capabilities: ['review'] };

describe('recommend agents', () => {
  const g = graphOf(
    [
      'me',
      agent('good', { ...review, tasksCompleted: 2 }),
      agent('slow', { ...review, tasksCompleted: 1, tasksFailed: 1, backlog: 1 }),
      agent('away', { ...review, tasksCompleted: 2, status: 'offline', heldTasks: 1 }),
      agent('gone', { ...review, status: 'retired' }),
      'other',
    ],
    [
      ['me', 'good', 2, 2, 2, 10],
      ['me', 'other', 1],
      ['other', 'slow', 1, 1, 1, 40],
    ],
  );

  it('ranks by success, response time, load, presence and closeness, with the reason', () => {
    const r = recommendAgents(g, 'review', 'me');
    expect(r.map((x) => x.agent_id)).toEqual(['good', 'slow', 'away']); // 'gone' is retired
    expect(r[0]).toMatchObject({
      rank: 1,
      score: 0.9985, // the response part: 1 / (1 + 0.01 s)
      success_rate: 1,
      mean_response_ms: 10,
      hops: 1,
      parts: { success: 1, response: 0.9901, load: 1, presence: 1, closeness: 1 },
    });
    // 0.3·0.5 + 0.15·0.9615 + 0.2·0.5 + 0.25·1 + 0.1·0.5: active, though half its tasks failed
    expect(r[1]).toMatchObject({ rank: 2, score: 0.6942, hops: 2 });
    expect(r[1]!.reason).toBe(
      '#2, score 0.6942: completed 1 of 2 tasks (50%); answers in 40 ms on average; load 1 (1 unread, 0 tasks held); active; 2 hop(s) from me',
    );
    // 0.3·1 + 0.15·0.5 + 0.2·0.5 + 0 + 0: the best record, but offline and not linked
    expect(r[2]).toMatchObject({ rank: 3, score: 0.475, hops: null, status: 'offline' });
  });

  it('without for_agent closeness counts for no one; unknown for_agent is an error', () => {
    expect(recommendAgents(g, 'review').map((x) => x.parts.closeness)).toEqual([0, 0, 0]);
    expect(() => recommendAgents(g, 'review', 'nobody')).toThrow(/No agent nobody/);
    expect(recommendAgents(g, 'cooking')).toEqual([]);
  });
});
