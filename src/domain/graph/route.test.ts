import { describe, expect, it } from 'vitest';
import { agent, graphOf } from './fixture.js';
import { findRoute, UNKNOWN_RELIABILITY } from './route.js';

describe('find route', () => {
  const g = graphOf(
    ['r', 'm', 'n', 't', agent('x', { capabilities: ['review'] })],
    [
      ['r', 't', 4, 4, 1, 5], // direct but unreliable: 0.25
      ['r', 'm', 2, 2, 2, 10], // r → m → n → t: all answered
      ['m', 'n', 2, 2, 2, 10],
      ['n', 't', 2, 2, 2, 20],
      ['t', 'x', 1], // no requests: unknown
    ],
  );

  it('takes the reliable longer path over the shorter unreliable one', () => {
    const r = findRoute(g, 'r', { to: 't' });
    expect(r.path).toEqual(['r', 'm', 'n', 't']);
    expect(r.reliability).toBe(1);
    expect(r.latency_ms).toBe(40);
    expect(r.hops.map((h) => [h.from, h.to, h.reliability])).toEqual([
      ['r', 'm', 1],
      ['m', 'n', 1],
      ['n', 't', 1],
    ]);
  });

  it('goes direct once the detour is less reliable than the direct edge', () => {
    const worse = graphOf(
      ['r', 'm', 't'],
      [
        ['r', 't', 4, 4, 3],
        ['r', 'm', 2, 2, 1],
        ['m', 't', 2, 2, 2],
      ],
    );
    expect(findRoute(worse, 'r', { to: 't' }).path).toEqual(['r', 't']);
  });

  it('finds the best path to any agent with a capability; unknown edges count as 0.5', () => {
    const r = findRoute(g, 'r', { capability: 'review' });
    expect(r.path).toEqual(['r', 'm', 'n', 't', 'x']);
    expect(r.reliability).toBe(UNKNOWN_RELIABILITY);
  });

  it('names unknown agents, missing routes and edges never answered', () => {
    expect(() => findRoute(g, 'nobody', { to: 't' })).toThrow(/No agent nobody/);
    expect(() => findRoute(g, 'r', { to: 'nobody' })).toThrow(/No agent nobody/);
    expect(() => findRoute(g, 't', { to: 'r' })).toThrow(/No route from t to r/);
    expect(() => findRoute(g, 'r', { capability: 'cooking' })).toThrow(/capability cooking/);
    const dead = graphOf(['a', 'b'], [['a', 'b', 3, 3, 0]]);
    expect(() => findRoute(dead, 'a', { to: 'b' })).toThrow(/No route from a to b/);
  });
});
