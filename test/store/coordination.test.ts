/**
 * LeaseStore and CoordinationStore (votes) conformance: the same calls give the same leases, votes
 * and ballots on SQLite and PostgreSQL, and exclusive leases, one vote per agent and closing a vote
 * once stay exact when the competing calls come from several nodes on one database.
 */
import { expect, it } from 'vitest';
import { admitBallot, decideAtDeadline, decideEarly } from '../../src/domain/coordination/vote-rules.js';
import type { CastOutcome, VoteRecord } from '../../src/store/coordination.js';
import type { LeaseRecord } from '../../src/store/leases.js';
import { describeStores } from '../helpers/stores.js';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

function lease(id: string, over: Partial<LeaseRecord> = {}): LeaseRecord {
  return {
    id,
    project: 'p1',
    holder: 'a1',
    mode: 'exclusive',
    patterns: ['src/**'],
    reason: null,
    ttlSeconds: 60,
    acquiredAt: iso(T0),
    renewedAt: iso(T0),
    expiresAt: iso(T0 + 60_000),
    ...over,
  };
}

/** A small clash rule for the store tests: another holder, a shared pattern, one side exclusive. */
const clashWith = (want: LeaseRecord) => (live: LeaseRecord[]) =>
  live
    .filter(
      (l) =>
        l.holder !== want.holder &&
        (l.mode === 'exclusive' || want.mode === 'exclusive') &&
        l.patterns.some((p) => want.patterns.includes(p)),
    )
    .map((l) => l.id);

function vote(id: string, over: Partial<VoteRecord> = {}): VoteRecord {
  return {
    id,
    proposal: `proposal ${id}`,
    options: ['yes', 'no'],
    rule: 'majority',
    quorum: null,
    participants: ['a3', 'a1', 'a2'],
    createdBy: 'c1',
    project: 'p1',
    threadId: null,
    createdAt: iso(T0),
    deadline: iso(T0 + 60_000),
    status: 'open',
    result: null,
    reason: null,
    closedAt: null,
    ...over,
  };
}

const ballot = (
  voteId: string,
  agentId: string,
  option: string,
  atMs = T0 + 1000,
  comment: string | null = null,
) => ({
  voteId,
  agentId,
  option,
  comment,
  castAt: iso(atMs),
});

describeStores('lease store', (open) => {
  it('acquires, reads and lists live leases (by project and holder, by id); conflicts store nothing', async () => {
    const { store } = await open();
    const a = lease('l01', { patterns: ['src/**', 'docs/a.md'], reason: 'refactor' });
    expect(await store.leases.acquireLease(a, iso(T0), clashWith(a))).toEqual({ lease: a });
    const b = lease('l02', { holder: 'a2', patterns: ['docs/a.md'] });
    let seen: LeaseRecord[] = [];
    const refused = await store.leases.acquireLease(b, iso(T0 + 1), (live) => {
      seen = live;
      return clashWith(b)(live);
    });
    expect(refused).toEqual({ conflicts: ['l01'] });
    expect(seen).toEqual([a]);
    expect(await store.leases.getLease('l02', iso(T0 + 1))).toBeUndefined();
    const c = lease('l03', { holder: 'a2', mode: 'shared', patterns: ['test/**'] });
    const d = lease('l04', { project: 'p2', holder: 'a2' });
    await store.leases.acquireLease(c, iso(T0), clashWith(c));
    await store.leases.acquireLease(d, iso(T0), clashWith(d));
    expect(await store.leases.getLease('l01', iso(T0 + 1))).toEqual(a);
    expect(await store.leases.getLease('l01', iso(T0 + 60_000))).toBeUndefined();
    expect(await store.leases.getLease('nope', iso(T0))).toBeUndefined();
    const ids = async (f: { project?: string; holder?: string }, atMs = T0 + 1) =>
      (await store.leases.listLeases({ ...f, now: iso(atMs) })).map((l) => l.id);
    expect(await ids({})).toEqual(['l01', 'l03', 'l04']);
    expect(await ids({ project: 'p1' })).toEqual(['l01', 'l03']);
    expect(await ids({ holder: 'a2' })).toEqual(['l03', 'l04']);
    expect(await ids({ project: 'p2', holder: 'a1' })).toEqual([]);
    expect(await ids({}, T0 + 60_000)).toEqual([]);
  });

  it('renews only a live lease; releases once', async () => {
    const { store } = await open();
    const a = lease('l01');
    await store.leases.acquireLease(a, iso(T0), clashWith(a));
    const renewed = await store.leases.renewLease('l01', iso(T0 + 30_000), iso(T0 + 150_000), 120);
    expect(renewed).toEqual({
      ...a,
      ttlSeconds: 120,
      renewedAt: iso(T0 + 30_000),
      expiresAt: iso(T0 + 150_000),
    });
    expect(await store.leases.getLease('l01', iso(T0 + 100_000))).toEqual(renewed);
    expect(await store.leases.renewLease('l01', iso(T0 + 150_000), iso(T0 + 200_000), 50)).toBeUndefined();
    expect(await store.leases.renewLease('nope', iso(T0), iso(T0 + 1), 1)).toBeUndefined();
    expect(await store.leases.releaseLease('l01')).toBe(true);
    expect(await store.leases.releaseLease('l01')).toBe(false);
  });

  it('an expired lease no longer conflicts, and a sweep removes it once, soonest first', async () => {
    const { store } = await open();
    const a = lease('l01', { expiresAt: iso(T0 + 20_000) });
    const b = lease('l02', { holder: 'a3', patterns: ['x'], expiresAt: iso(T0 + 10_000) });
    const c = lease('l03', { holder: 'a4', patterns: ['y'], expiresAt: iso(T0 + 90_000) });
    for (const l of [a, b, c]) await store.leases.acquireLease(l, iso(T0), clashWith(l));
    const later = lease('l04', { holder: 'a2', acquiredAt: iso(T0 + 30_000) });
    expect(await store.leases.acquireLease(later, iso(T0 + 30_000), clashWith(later))).toEqual({
      lease: later,
    });
    expect(await store.leases.sweepLeases(iso(T0 + 30_000), 10)).toEqual([b, a]);
    expect(await store.leases.sweepLeases(iso(T0 + 30_000), 10)).toEqual([]);
    // l04 (expiring at +60 s) before l03 (+90 s), one per sweep with limit 1
    expect((await store.leases.sweepLeases(iso(T0 + 100_000), 1)).map((l) => l.id)).toEqual(['l04']);
    expect((await store.leases.sweepLeases(iso(T0 + 100_000), 1)).map((l) => l.id)).toEqual(['l03']);
  });

  it('ten concurrent exclusive acquisitions of one path from three nodes: one holder', async () => {
    const { store, peer } = await open();
    const nodes = [store, await peer(), await peer()];
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => {
        const l = lease(`l${String(i).padStart(2, '0')}`, { holder: `a${i}`, patterns: ['src/app.ts'] });
        return nodes[i % 3].leases.acquireLease(l, iso(T0), clashWith(l));
      }),
    );
    expect(results.filter((r) => 'lease' in r)).toHaveLength(1);
    expect(await store.leases.listLeases({ now: iso(T0) })).toHaveLength(1);
  });

  it('three nodes sweeping at once return each expired lease once', async () => {
    const { store, peer } = await open();
    const nodes = [store, await peer(), await peer()];
    for (let i = 0; i < 12; i++) {
      const l = lease(`l${String(i).padStart(2, '0')}`, { holder: `a${i}`, patterns: [`f${i}`] });
      await store.leases.acquireLease(l, iso(T0), clashWith(l));
    }
    const swept = (await Promise.all(nodes.map((n) => n.leases.sweepLeases(iso(T0 + 60_000), 100)))).flat();
    expect(swept.map((l) => l.id).sort()).toEqual(
      Array.from({ length: 12 }, (_, i) => `l${String(i).padStart(2, '0')}`),
    );
  });
});

describeStores('vote store', (open) => {
  it('stores a vote with an empty ballot per participant, in the order given', async () => {
    const { store } = await open();
    const v = vote('v01', { threadId: 'th1', rule: 'quorum', quorum: 2 });
    await store.coordination.insertVote(v);
    expect(await store.coordination.getVote('v01')).toEqual({
      vote: v,
      ballots: ['a3', 'a1', 'a2'].map((agentId) => ({
        voteId: 'v01',
        agentId,
        option: null,
        comment: null,
        castAt: null,
      })),
    });
    expect(await store.coordination.getVote('nope')).toBeUndefined();
    await store.coordination.deleteVote('v01');
    expect(await store.coordination.getVote('v01')).toBeUndefined();
  });

  it('lists votes newest id first, by viewer (starter or participant), status, thread and limit', async () => {
    const { store } = await open();
    await store.coordination.insertVote(vote('v01'));
    await store.coordination.insertVote(
      vote('v02', { createdBy: 'a9', participants: ['a8'], threadId: 'th1' }),
    );
    await store.coordination.insertVote(
      vote('v03', { participants: ['a9'], status: 'decided', result: 'yes' }),
    );
    const ids = async (f: Partial<Parameters<typeof store.coordination.listVotes>[0]>) =>
      (await store.coordination.listVotes({ viewer: null, limit: 100, ...f })).map((s) => s.vote.id);
    expect(await ids({})).toEqual(['v03', 'v02', 'v01']);
    expect(await ids({ limit: 1 })).toEqual(['v03']);
    expect(await ids({ viewer: 'a9' })).toEqual(['v03', 'v02']);
    expect(await ids({ viewer: 'a1' })).toEqual(['v01']);
    expect(await ids({ viewer: 'c1' })).toEqual(['v03', 'v01']);
    expect(await ids({ status: 'open' })).toEqual(['v02', 'v01']);
    expect(await ids({ threadId: 'th1' })).toEqual(['v02']);
    const [listed] = await store.coordination.listVotes({ viewer: 'a8', limit: 10 });
    expect(listed).toEqual(await store.coordination.getVote('v02'));
  });

  it('casts ballots: refusals say why, a repeat is unchanged, votes are final, and the rule closes it', async () => {
    const { store } = await open();
    await store.coordination.insertVote(vote('v01'));
    const cast = (agent: string, option: string) =>
      store.coordination.castBallot(
        ballot('v01', agent, option, T0 + 1000, 'because'),
        admitBallot,
        decideEarly,
        iso(T0 + 2000),
      );
    expect(
      await store.coordination.castBallot(ballot('nope', 'a1', 'yes'), admitBallot, decideEarly, iso(T0)),
    ).toEqual({
      kind: 'not_found',
    });
    expect((await cast('zz', 'yes')).kind).toBe('not_participant');
    const first = await cast('a1', 'yes');
    expect(first).toMatchObject({ kind: 'cast', closed: false });
    expect((first as Extract<CastOutcome, { kind: 'cast' }>).state.ballots[1]).toEqual({
      voteId: 'v01',
      agentId: 'a1',
      option: 'yes',
      comment: 'because',
      castAt: iso(T0 + 1000),
    });
    expect((await cast('a1', 'yes')).kind).toBe('unchanged');
    const again = await cast('a1', 'no');
    expect(again).toMatchObject({ kind: 'already_voted', previous: { option: 'yes' } });
    const deciding = await cast('a3', 'yes');
    expect(deciding).toMatchObject({ kind: 'cast', closed: true });
    expect((deciding as Extract<CastOutcome, { kind: 'cast' }>).state.vote).toMatchObject({
      status: 'decided',
      result: 'yes',
      closedAt: iso(T0 + 2000),
    });
    expect((await cast('a2', 'no')).kind).toBe('closed');
    expect(await store.coordination.getVote('v01')).toEqual(
      (deciding as Extract<CastOutcome, { kind: 'cast' }>).state,
    );
  });

  it('closes a due vote once; lists the due ones soonest first', async () => {
    const { store } = await open();
    await store.coordination.insertVote(vote('v01', { deadline: iso(T0 + 20_000) }));
    await store.coordination.insertVote(vote('v02', { deadline: iso(T0 + 10_000) }));
    await store.coordination.insertVote(vote('v03', { deadline: iso(T0 + 90_000) }));
    expect(await store.coordination.dueVotes(iso(T0 + 20_000), 10)).toEqual(['v02', 'v01']);
    expect(await store.coordination.dueVotes(iso(T0 + 20_000), 1)).toEqual(['v02']);
    expect(await store.coordination.closeVote('v01', decideEarly, iso(T0 + 20_000))).toMatchObject({
      closed: false,
      state: { vote: { status: 'open' } },
    });
    const closed = await store.coordination.closeVote('v01', decideAtDeadline, iso(T0 + 20_000));
    expect(closed).toMatchObject({
      closed: true,
      state: { vote: { status: 'expired', closedAt: iso(T0 + 20_000) } },
    });
    expect(await store.coordination.closeVote('v01', decideAtDeadline, iso(T0 + 21_000))).toMatchObject({
      closed: false,
      state: { vote: { closedAt: iso(T0 + 20_000) } },
    });
    expect(await store.coordination.closeVote('nope', decideAtDeadline, iso(T0))).toBeUndefined();
    expect(await store.coordination.dueVotes(iso(T0 + 20_000), 10)).toEqual(['v02']);
  });

  it('one agent voting ten times at once from three nodes: one ballot counts', async () => {
    const { store, peer } = await open();
    const nodes = [store, await peer(), await peer()];
    await store.coordination.insertVote(vote('v01', { participants: ['a1', 'a2', 'a3', 'a4', 'a5'] }));
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        nodes[i % 3].coordination.castBallot(
          ballot('v01', 'a1', i % 2 ? 'yes' : 'no'),
          admitBallot,
          decideEarly,
          iso(T0 + 2000),
        ),
      ),
    );
    expect(results.filter((r) => r.kind === 'cast')).toHaveLength(1);
    expect(results.every((r) => ['cast', 'unchanged', 'already_voted'].includes(r.kind))).toBe(true);
    const state = await store.coordination.getVote('v01');
    expect(state?.ballots.filter((b) => b.option !== null)).toHaveLength(1);
  });

  it('every participant voting at once from three nodes: the vote closes exactly once', async () => {
    const { store, peer } = await open();
    const nodes = [store, await peer(), await peer()];
    const participants = Array.from({ length: 9 }, (_, i) => `a${i}`);
    await store.coordination.insertVote(vote('v01', { participants }));
    const results = await Promise.all(
      participants.map((a, i) =>
        nodes[i % 3].coordination.castBallot(
          ballot('v01', a, 'yes'),
          admitBallot,
          decideEarly,
          iso(T0 + 2000),
        ),
      ),
    );
    expect(results.filter((r) => r.kind === 'cast' && r.closed)).toHaveLength(1);
    // the decision came as soon as five of nine agreed; later ballots found it closed
    expect(results.filter((r) => r.kind === 'cast')).toHaveLength(5);
    expect(results.filter((r) => r.kind === 'closed')).toHaveLength(4);
  });
});
