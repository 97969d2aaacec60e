import { describe, expect, it } from 'vitest';
import { RollupFold } from './fold.js';

const a = { id: 'a', project: 'p' };
const b = { id: 'b', project: 'p' };
const c = { id: 'c', project: 'p' };

describe('rollup fold', () => {
  it('counts a message once as sent, once per recipient as received and on each pair', () => {
    const f = new RollupFold();
    f.message({ minute: 7, from: a, type: 'request', threadId: 't', recipients: [b, c] });
    f.message({ minute: 7, from: b, type: 'response', threadId: 't', recipients: [a] });
    f.response(7, a, 'b', 1500);
    f.ack(8, a, 'c');
    const d = f.take();
    const agent = (id: string) => d.agents.find((r) => r.agentId === id);
    expect(agent('a')).toMatchObject({ sent: 1, received: 1 });
    expect(agent('b')).toMatchObject({ sent: 1, received: 1 });
    expect(agent('c')).toMatchObject({ sent: 0, received: 1 });
    const pair = (from: string, to: string, minute = 7) =>
      d.pairs.find((p) => p.from === from && p.to === to && p.minute === minute);
    expect(pair('a', 'b')).toMatchObject({
      messages: 1,
      requests: 1,
      responses: 1,
      latencyMsSum: 1500,
      latencyCount: 1,
    });
    expect(pair('a', 'c')).toMatchObject({ messages: 1, requests: 1, responses: 0 });
    expect(pair('b', 'a')).toMatchObject({ messages: 1, requests: 0 });
    expect(pair('a', 'c', 8)).toMatchObject({ messages: 0, acks: 1 });
    expect(d.threads.filter((t) => t.type === 'request').map((t) => [t.agentId, t.sent, t.received])).toEqual(
      [
        ['a', 1, 0],
        ['b', 0, 1],
        ['c', 0, 1],
      ],
    );
    expect(f.empty).toBe(true);
  });

  it('puts calls in histogram bins and counts errors', () => {
    const f = new RollupFold();
    f.call(1, 'operation', 'send_message', 'p', 0.9, false);
    f.call(1, 'operation', 'send_message', 'p', 0.8, true);
    f.call(1, 'operation', 'send_message', 'p', 300, false);
    const calls = f.take().calls;
    expect(calls.map((c) => [c.bin, c.calls, c.errors])).toEqual([
      [2, 2, 1],
      [11, 1, 0],
    ]);
  });
});
