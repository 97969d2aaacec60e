import { describe, expect, it } from 'vitest';
import { PerfFold } from './perf-fold.js';

const who = (id: string) => ({ id, project: 'p' });
const at = (s: number) => new Date(Date.UTC(2026, 11, 6, 12, 0, s)).toISOString();
const memory = () => ({ threads: new Map(), answered: new Set<string>() });

describe('performance fold', () => {
  it('counts a request answered once per recipient, in the minute of the request', () => {
    const f = new PerfFold(memory());
    f.sent({
      id: 'q',
      at: at(0),
      from: who('h'),
      type: 'request',
      threadId: 'q',
      ackRequired: true,
      recipients: [who('a'), who('b')],
    });
    const q = {
      id: 'q',
      from: who('h'),
      type: 'request',
      createdAt: at(0),
      recipients: ['a', 'b'],
      ackRequired: true,
    };
    f.sent(
      {
        id: 'r1',
        at: at(2),
        from: who('a'),
        type: 'response',
        threadId: 'q',
        ackRequired: false,
        recipients: [who('h')],
      },
      q,
    );
    f.sent(
      {
        id: 'r2',
        at: at(3),
        from: who('a'),
        type: 'response',
        threadId: 'q',
        ackRequired: false,
        recipients: [who('h')],
      },
      q,
    );
    f.acked(at(4), who('b'), q);
    const d = f.take();
    const pair = (to: string) => d.replies.find((r) => r.to === to);
    expect(pair('a')).toMatchObject({ requests: 1, answered: 0, ackRequired: 1, acked: 0 });
    expect(pair('b')).toMatchObject({ requests: 1, answered: 0, ackRequired: 1, acked: 1 });
    const lat = (metric: string) => d.latency.filter((l) => l.metric === metric);
    // a's first answer is a claim (the store counts it if no node counted it before): a's second is not.
    expect(d.answered).toEqual([
      {
        requestId: 'q',
        agentId: 'a',
        latency: expect.objectContaining({ metric: 'response', agentId: 'a', count: 1, sumMs: 2000 }),
        reply: expect.objectContaining({ from: 'h', to: 'a', requests: 0, answered: 1 }),
      },
    ]);
    expect(lat('response')).toEqual([]);
    expect(lat('ack')).toEqual([expect.objectContaining({ agentId: 'b', count: 1, sumMs: 4000 })]);
    // The thread's first response is a's, 2 s after h started it; a's second message is not another.
    expect(lat('first_response')).toEqual([expect.objectContaining({ agentId: 'a', count: 1, sumMs: 2000 })]);
    // Started and answered in one batch: nothing to remember, nothing to claim.
    expect([d.threadStarts, d.threadsAnswered]).toEqual([[], []]);
    const g = new PerfFold(memory());
    g.sent({
      id: 'n',
      at: at(0),
      from: who('h'),
      type: 'note',
      threadId: 'n',
      ackRequired: false,
      recipients: [who('a')],
    });
    expect(g.take()).toMatchObject({
      threadStarts: [{ threadId: 'n', starter: 'h', startedMs: Date.parse(at(0)) }],
      threadsAnswered: [],
    });
  });

  it('remembers across batches what its memory says, and ignores answers to non-requests', () => {
    const m = memory();
    m.answered.add('q\u0000a');
    m.threads.set('t', { threadId: 't', starter: 'h', startedMs: Date.parse(at(0)) });
    const f = new PerfFold(m);
    const q = {
      id: 'q',
      from: who('h'),
      type: 'request',
      createdAt: at(0),
      recipients: ['a'],
      ackRequired: false,
    };
    f.sent(
      {
        id: 'r',
        at: at(9),
        from: who('a'),
        type: 'response',
        threadId: 't',
        ackRequired: false,
        recipients: [who('h')],
      },
      q,
    );
    const note = { ...q, id: 'n', type: 'note' };
    f.sent(
      {
        id: 'r2',
        at: at(9),
        from: who('a'),
        type: 'response',
        threadId: 't',
        ackRequired: false,
        recipients: [who('h')],
      },
      note,
    );
    // Responding to yourself is no answer.
    const own = { ...q, id: 'o', from: who('a') };
    f.sent(
      {
        id: 'r3',
        at: at(9),
        from: who('a'),
        type: 'response',
        threadId: 't',
        ackRequired: false,
        recipients: [who('h')],
      },
      own,
    );
    // A thread answered long ago is not remembered: nothing more counts there.
    f.sent({
      id: 'r4',
      at: at(9),
      from: who('b'),
      type: 'message',
      threadId: 'old',
      ackRequired: false,
      recipients: [who('h')],
    });
    const d = f.take();
    // Only the first response in thread t counts (once, as a claim: t was started in an earlier
    // batch, which another node may have folded too), none of the answers do.
    expect(d.latency).toEqual([]);
    expect(d.replies).toEqual([]);
    expect(d.answered).toEqual([]);
    expect([d.threadStarts, d.threadsAnswered]).toEqual([
      [],
      [
        {
          threadId: 't',
          latency: expect.objectContaining({ metric: 'first_response', agentId: 'a', count: 1, sumMs: 9000 }),
        },
      ],
    ]);
    expect(f.empty).toBe(true);
  });

  it('times reads, first claims, completions and turns in the minute they end', () => {
    const f = new PerfFold(memory());
    f.read(at(70), who('a'), at(10));
    f.claimed(at(5), who('w'), at(0), 1);
    f.claimed(at(50), who('w'), at(0), 2); // a re-claim is not a time to claim
    f.completed(at(30), who('w'), at(5));
    f.turn(at(8), who('i'), 1234);
    const d = f.take();
    expect(d.latency.map((l) => [l.metric, l.agentId, l.minute % 60, l.count, l.sumMs])).toEqual([
      ['delivery', 'a', 1, 1, 60000],
      ['task_claim', 'w', 0, 1, 5000],
      ['task_complete', 'w', 0, 1, 25000],
      ['turn', 'i', 0, 1, 1234],
    ]);
  });
});
