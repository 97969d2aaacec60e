/**
 * How votes are decided: each rule (majority, unanimous, quorum of k) closing early when the outcome
 * is certain, and at the deadline with missing votes, ties and no votes, with the exact reason the
 * participants read; and, by property, that an early decision is one the missing voters could not
 * have changed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BallotRecord, VoteRecord } from '../../store/coordination.js';
import { admitBallot, decideAtDeadline, decideEarly, tally } from './vote-rules.js';

function vote(
  rule: VoteRecord['rule'],
  options: string[],
  n: number,
  quorum: number | null = null,
): VoteRecord {
  return {
    id: 'v1',
    proposal: 'ship it?',
    options,
    rule,
    quorum,
    participants: Array.from({ length: n }, (_, i) => `p${i}`),
    createdBy: 'chair',
    project: 'default',
    threadId: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    deadline: '2026-01-01T01:00:00.000Z',
    status: 'open',
    result: null,
    reason: null,
    closedAt: null,
  };
}

/** One ballot per participant, in order; null: not voted yet. */
const ballots = (...options: Array<string | null>): BallotRecord[] =>
  options.map((option, i) => ({
    voteId: 'v1',
    agentId: `p${i}`,
    option,
    comment: null,
    castAt: option === null ? null : '2026-01-01T00:10:00.000Z',
  }));

const yesNo = ['yes', 'no'];

describe('tally', () => {
  it('counts each option (the unvoted ones at 0), the votes cast and the votes missing', () => {
    const t = tally(vote('majority', ['a', 'b', 'c'], 4), ballots('a', null, 'a', 'c'));
    expect([...t.counts]).toEqual([
      ['a', 2],
      ['b', 0],
      ['c', 1],
    ]);
    expect(t.cast).toBe(3);
    expect(t.missing).toBe(1);
  });
});

describe('majority', () => {
  const v5 = vote('majority', yesNo, 5);

  it('closes as soon as one option has more than half of all participants', () => {
    expect(decideEarly(v5, ballots('yes', 'yes', null, null, null))).toBeNull();
    expect(decideEarly(v5, ballots('yes', 'no', 'yes', null, 'yes'))).toEqual({
      status: 'decided',
      result: 'yes',
      reason: '"yes" has 3 of 5 participants\' votes (more than half)',
    });
  });

  it('stays open while the missing voters could still give an option more than half', () => {
    expect(decideEarly(v5, ballots('yes', 'yes', 'no', 'no', null))).toBeNull();
  });

  it('decides with no result on a tie with everyone voted', () => {
    expect(decideEarly(vote('majority', yesNo, 4), ballots('yes', 'no', 'no', 'yes'))).toEqual({
      status: 'decided',
      result: null,
      reason: 'tie: "yes" and "no" have 2 votes each',
    });
  });

  it('decides with no result when no option can get more than half any more', () => {
    const v = vote('majority', ['a', 'b', 'c'], 7);
    expect(decideEarly(v, ballots('a', 'a', 'b', 'b', 'c', 'c', null))).toEqual({
      status: 'decided',
      result: null,
      reason: 'no option can get more than half of the votes cast any more',
    });
  });

  it('at the deadline: more than half of the votes cast wins; missing votes are abstentions', () => {
    expect(decideAtDeadline(v5, ballots('yes', null, null, null, null))).toEqual({
      status: 'decided',
      result: 'yes',
      reason:
        'deadline passed: "yes" has 1 of the 1 votes cast (more than half); 4 of 5 participants did not vote',
    });
  });

  it('at the deadline: a tie, no majority, or no votes at all expire without a result', () => {
    expect(decideAtDeadline(v5, ballots('yes', 'no', null, null, null))).toEqual({
      status: 'expired',
      result: null,
      reason:
        'deadline passed with a tie: "yes" and "no" have 1 votes each; 3 of 5 participants did not vote',
    });
    const v6 = vote('majority', ['a', 'b', 'c'], 6);
    expect(decideAtDeadline(v6, ballots('a', 'a', 'b', 'c', null, null))).toEqual({
      status: 'expired',
      result: null,
      reason:
        'deadline passed: no option has more than half of the 4 votes cast; 2 of 6 participants did not vote',
    });
    expect(decideAtDeadline(v5, ballots(null, null, null, null, null))).toEqual({
      status: 'expired',
      result: null,
      reason: 'deadline passed with no votes cast',
    });
  });
});

describe('unanimous', () => {
  const v3 = vote('unanimous', yesNo, 3);

  it('decides when every participant chose the same option', () => {
    expect(decideEarly(v3, ballots('no', 'no', null))).toBeNull();
    expect(decideEarly(v3, ballots('no', 'no', 'no'))).toEqual({
      status: 'decided',
      result: 'no',
      reason: 'all 3 participants chose "no"',
    });
  });

  it('decides with no result as soon as two options are chosen', () => {
    expect(decideEarly(v3, ballots('yes', null, 'no'))).toEqual({
      status: 'decided',
      result: null,
      reason: 'not unanimous: votes for "yes" and "no"',
    });
  });

  it('expires at the deadline when anyone did not vote', () => {
    expect(decideAtDeadline(v3, ballots('yes', 'yes', null))).toEqual({
      status: 'expired',
      result: null,
      reason: 'deadline passed: 1 of 3 participants did not vote, and unanimity needs every participant',
    });
  });
});

describe('quorum of k', () => {
  it('the first option to reach k votes wins', () => {
    const v = vote('quorum', yesNo, 4, 2);
    expect(decideEarly(v, ballots('yes', 'no', null, null))).toBeNull();
    expect(decideEarly(v, ballots('yes', 'no', null, 'no'))).toEqual({
      status: 'decided',
      result: 'no',
      reason: '"no" reached the quorum of 2 votes',
    });
  });

  it('decides with no result when no option can reach k any more', () => {
    const v = vote('quorum', ['a', 'b', 'c'], 4, 3);
    expect(decideEarly(v, ballots('a', 'b', null, null))).toBeNull();
    expect(decideEarly(v, ballots('a', 'b', null, 'c'))).toEqual({
      status: 'decided',
      result: null,
      reason: 'no option can reach the quorum of 3 votes any more',
    });
  });

  it('without k, needs every participant', () => {
    const v = vote('quorum', yesNo, 3, null);
    expect(decideEarly(v, ballots('yes', 'yes', null))).toBeNull();
    expect(decideEarly(v, ballots('yes', 'yes', 'yes'))?.result).toBe('yes');
    expect(decideEarly(v, ballots('yes', 'yes', 'no'))?.reason).toBe(
      'no option can reach the quorum of 3 votes any more',
    );
  });

  it('expires at the deadline when no option reached k', () => {
    expect(decideAtDeadline(vote('quorum', yesNo, 4, 2), ballots('yes', null, null, null))).toEqual({
      status: 'expired',
      result: null,
      reason: 'deadline passed: no option reached the quorum of 2 votes; 3 of 4 participants did not vote',
    });
  });
});

/** A vote of 1-7 participants over 2-3 options, some ballots cast, and a way to fill the rest. */
const scenario = fc
  .record({
    rule: fc.constantFrom<VoteRecord['rule']>('majority', 'unanimous', 'quorum'),
    options: fc.constantFrom<string[]>(['a', 'b'], ['a', 'b', 'c']),
    n: fc.integer({ min: 1, max: 7 }),
    k: fc.integer({ min: 1, max: 7 }),
    seed: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 14, maxLength: 14 }),
  })
  .map(({ rule, options, n, k, seed }) => {
    const v = vote(rule, options, n, rule === 'quorum' ? Math.min(k, n) : null);
    // seed[i] picks participant i's ballot (past the options: not voted yet); seed[7 + i] fills it in.
    const partial = Array.from({ length: n }, (_, i) => options[seed[i]!] ?? null);
    const full = partial.map((o, i) => o ?? options[seed[7 + i]! % options.length]!);
    return { v, partial: ballots(...partial), full: ballots(...full) };
  });

describe('properties', () => {
  it('a vote everyone has voted in is always decided, never left open', () => {
    fc.assert(
      fc.property(scenario, ({ v, full }) => {
        expect(decideEarly(v, full)).not.toBeNull();
        expect(decideAtDeadline(v, full).status).toBe('decided');
      }),
      { numRuns: 2000 },
    );
  });

  it('at the deadline a vote always closes, and agrees with an early decision when there is one', () => {
    fc.assert(
      fc.property(scenario, ({ v, partial }) => {
        const early = decideEarly(v, partial);
        const late = decideAtDeadline(v, partial);
        if (early) expect(late).toEqual(early);
        else expect(late.status === 'expired' || late.result !== null).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('majority and unanimity: an early decision is what the vote would be with every ballot in', () => {
    fc.assert(
      fc.property(scenario, ({ v, partial, full }) => {
        // (Not quorum: once one option reaches k the hub closes; more ballots could bring another to k too.)
        if (v.rule === 'quorum') return;
        const early = decideEarly(v, partial);
        if (early) expect(decideEarly(v, full)?.result).toBe(early.result);
      }),
      { numRuns: 3000 },
    );
  });

  it('a result is always one of the options, with the most votes cast', () => {
    fc.assert(
      fc.property(scenario, ({ v, partial }) => {
        const closing = decideAtDeadline(v, partial);
        if (closing.result === null) return;
        const { counts } = tally(v, partial);
        expect(v.options).toContain(closing.result);
        expect(counts.get(closing.result)).toBe(Math.max(...counts.values()));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('which ballots a vote takes', () => {
  const open = { vote: vote('majority', ['yes', 'no'], 3), ballots: ballots('yes', null, null) };
  it('takes a participant’s first ballot while the vote is open', () => {
    expect(admitBallot(open, { agentId: 'p1', option: 'no' })).toBeNull();
  });
  it('refuses outsiders, changes of mind and late ballots; the same option again changes nothing', () => {
    expect(admitBallot(open, { agentId: 'x', option: 'yes' })).toEqual({
      kind: 'not_participant',
      state: open,
    });
    expect(admitBallot(open, { agentId: 'p0', option: 'yes' })).toEqual({ kind: 'unchanged', state: open });
    expect(admitBallot(open, { agentId: 'p0', option: 'no' })).toEqual({
      kind: 'already_voted',
      previous: open.ballots[0],
      state: open,
    });
    const closed = { ...open, vote: { ...open.vote, status: 'decided' as const } };
    expect(admitBallot(closed, { agentId: 'p1', option: 'no' })).toEqual({ kind: 'closed', state: closed });
    // a voter who already voted hears about their ballot, not about the closing
    expect(admitBallot(closed, { agentId: 'p0', option: 'yes' })).toEqual({
      kind: 'unchanged',
      state: closed,
    });
  });
});
