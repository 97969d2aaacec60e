/**
 * Votes over REST on a real hub: each rule (majority, unanimous, quorum of k) gives the right result,
 * early when certain and at the deadline with missing votes and ties (an injected clock and the
 * sweep stand in for waiting); votes survive a restart; bad input gets clear errors and stores nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TestClock } from './helpers/clock.js';
import { type TestHub, startTestHub } from './helpers/hub.js';
import { WsClient } from './ws-resume-client.js';

const hubs: TestHub[] = [];
afterEach(async () => {
  for (const h of hubs.splice(0)) await h.close().catch(() => undefined);
});

/** A clock the test moves by hand. */
const manualClock = () => new TestClock(Date.parse('2026-11-01T10:00:00Z'));

async function setup(n: number, clock = manualClock()) {
  const t = await startTestHub({}, { clock });
  hubs.push(t);
  const chair = await t.register('chair');
  const voters: Array<{ id: string; token: string }> = [];
  for (let i = 0; i < n; i++) voters.push(await t.register(`voter-${i}`, { capabilities: ['reviewer'] }));
  const start = async (body: Record<string, unknown>) => {
    const res = await t.api('POST', '/api/v1/votes', {
      token: chair.token,
      body: { proposal: 'Ship it?', participants: voters.map((v) => v.id), ...body },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };
  const cast = (voter: { token: string }, voteId: string, option: string, comment?: string) =>
    t.api('POST', `/api/v1/votes/${voteId}/cast`, { token: voter.token, body: { option, comment } });
  const get = async (voteId: string) =>
    (await t.api('GET', `/api/v1/votes/${voteId}`, { token: chair.token })).body;
  return { t, chair, voters, start, cast, get, clock };
}

describe('votes', () => {
  it('majority: decided the moment an option has more than half of all participants; participants get a vote_request', async () => {
    const { t, voters, start, cast, get } = await setup(3);
    const vote = await start({ options: ['yes', 'no'], rule: 'majority', deadline_seconds: 600 });
    expect(vote).toMatchObject({
      status: 'open',
      result: null,
      tally: { yes: 0, no: 0 },
      missing: voters.map((v) => v.id),
    });

    const inbox = await t.api('GET', '/api/v1/messages', { token: voters[0].token });
    expect(inbox.body.messages).toHaveLength(1);
    expect(inbox.body.messages[0]).toMatchObject({
      type: 'vote_request',
      body: { vote_id: vote.vote_id, options: ['yes', 'no'] },
    });

    const first = await cast(voters[0], vote.vote_id, 'yes', 'tests pass');
    expect(first.body).toMatchObject({ recorded: true, vote: { status: 'open' } });
    const second = await cast(voters[1], vote.vote_id, 'yes');
    expect(second.body.vote).toMatchObject({ status: 'decided', result: 'yes', tally: { yes: 2, no: 0 } });

    const late = await cast(voters[2], vote.vote_id, 'no');
    expect(late.status).toBe(409);
    expect(late.body.error.message).toMatch(/decided/);
    const final = await get(vote.vote_id);
    expect(final).toMatchObject({ status: 'decided', result: 'yes', missing: [voters[2].id] });
    expect(final.votes).toEqual([
      expect.objectContaining({ agent_id: voters[0].id, option: 'yes', comment: 'tests pass' }),
      expect.objectContaining({ agent_id: voters[1].id, option: 'yes', comment: null }),
    ]);
    expect(final.reason).toMatch(/more than half/);
  });

  it('majority: a tie among all votes is decided with no result; at the deadline the votes cast decide, missing ones abstain', async () => {
    const { voters, start, cast, get, t, clock } = await setup(4);
    const tie = await start({
      options: ['a', 'b'],
      rule: 'majority',
      participants: [voters[0].id, voters[1].id],
    });
    await cast(voters[0], tie.vote_id, 'a');
    expect((await cast(voters[1], tie.vote_id, 'b')).body.vote).toMatchObject({
      status: 'decided',
      result: null,
    });
    expect((await get(tie.vote_id)).reason).toMatch(/tie/);

    const missing = await start({ options: ['a', 'b', 'c'], rule: 'majority', deadline_seconds: 60 });
    await cast(voters[0], missing.vote_id, 'a');
    await cast(voters[1], missing.vote_id, 'a');
    await cast(voters[2], missing.vote_id, 'b');
    expect((await get(missing.vote_id)).status).toBe('open'); // 2 of 4 is not more than half yet

    const tieAtDeadline = await start({ options: ['a', 'b'], rule: 'majority', deadline_seconds: 60 });
    await cast(voters[0], tieAtDeadline.vote_id, 'a');
    await cast(voters[1], tieAtDeadline.vote_id, 'b');

    const none = await start({ options: ['a', 'b'], rule: 'majority', deadline_seconds: 60 });

    clock.advance(61);
    await t.hub.services.coordination.sweep();
    expect(await get(missing.vote_id)).toMatchObject({
      status: 'decided',
      result: 'a',
      tally: { a: 2, b: 1, c: 0 },
      missing: [voters[3].id],
    });
    expect((await get(missing.vote_id)).reason).toMatch(/2 of the 3 votes cast/);
    const tied = await get(tieAtDeadline.vote_id);
    expect(tied).toMatchObject({ status: 'expired', result: null });
    expect(tied.reason).toMatch(/tie/);
    expect(await get(none.vote_id)).toMatchObject({
      status: 'expired',
      result: null,
      reason: expect.stringMatching(/no votes/),
    });
  });

  it('unanimous: all agree → that option; any dissent → decided with no result; a missing vote at the deadline → expired', async () => {
    const { voters, start, cast, get, t, clock } = await setup(3);
    const agreed = await start({ options: ['merge', 'hold'], rule: 'unanimous' });
    for (const v of voters) await cast(v, agreed.vote_id, 'merge');
    expect(await get(agreed.vote_id)).toMatchObject({
      status: 'decided',
      result: 'merge',
      tally: { merge: 3, hold: 0 },
    });

    const split = await start({ options: ['merge', 'hold'], rule: 'unanimous' });
    await cast(voters[0], split.vote_id, 'merge');
    const dissent = await cast(voters[1], split.vote_id, 'hold');
    expect(dissent.body.vote).toMatchObject({ status: 'decided', result: null, missing: [voters[2].id] });
    expect(dissent.body.vote.reason).toMatch(/not unanimous/);

    const short = await start({ options: ['merge', 'hold'], rule: 'unanimous', deadline_seconds: 30 });
    await cast(voters[0], short.vote_id, 'merge');
    await cast(voters[1], short.vote_id, 'merge');
    clock.advance(31);
    await t.hub.services.coordination.sweep();
    const expired = await get(short.vote_id);
    expect(expired).toMatchObject({ status: 'expired', result: null, missing: [voters[2].id] });
    expect(expired.reason).toMatch(/1 of 3 participants did not vote/);
  });

  it('quorum of k: the first option to reach k wins; when no option can reach k any more, no result', async () => {
    const { voters, start, cast, get } = await setup(5);
    const vote = await start({ options: ['A', 'B', 'C'], rule: 'quorum', quorum: 2 });
    expect(vote.quorum).toBe(2);
    await cast(voters[0], vote.vote_id, 'A');
    await cast(voters[1], vote.vote_id, 'B');
    expect((await get(vote.vote_id)).status).toBe('open');
    const decisive = await cast(voters[2], vote.vote_id, 'B');
    expect(decisive.body.vote).toMatchObject({ status: 'decided', result: 'B', tally: { A: 1, B: 2, C: 0 } });
    expect(decisive.body.vote.missing).toEqual([voters[3].id, voters[4].id]);

    const hard = await start({ options: ['A', 'B', 'C'], rule: 'quorum', quorum: 4 });
    await cast(voters[0], hard.vote_id, 'A');
    await cast(voters[1], hard.vote_id, 'B');
    // A has 1 and 3 votes remain: 4 is still reachable. After a vote for C, it is not.
    expect((await get(hard.vote_id)).status).toBe('open');
    const out = await cast(voters[2], hard.vote_id, 'C');
    expect(out.body.vote).toMatchObject({ status: 'decided', result: null });
    expect(out.body.vote.reason).toMatch(/can reach the quorum of 4/);
  });

  it('votes are final, only participants vote, and wait_for_vote wakes when the vote is decided', async () => {
    const { t, chair, voters, start, cast } = await setup(2);
    const outsider = await t.register('outsider');
    const vote = await start({ options: ['x', 'y'], rule: 'unanimous' });
    expect((await cast(voters[0], vote.vote_id, 'x')).body.recorded).toBe(true);
    expect((await cast(voters[0], vote.vote_id, 'x')).body.recorded).toBe(false);
    const changed = await cast(voters[0], vote.vote_id, 'y');
    expect(changed.status).toBe(409);
    expect(changed.body.error.message).toMatch(/votes are final/);
    expect((await cast(chair, vote.vote_id, 'x')).status).toBe(403);
    expect((await cast(outsider, vote.vote_id, 'x')).status).toBe(404);
    expect((await t.api('GET', `/api/v1/votes/${vote.vote_id}`, { token: outsider.token })).status).toBe(404);
    const badOption = await cast(voters[1], vote.vote_id, 'z');
    expect(badOption.status).toBe(400);
    expect(badOption.body.error.message).toMatch(/option: "z" is not an option/);

    const waiting = t.api('GET', `/api/v1/votes/${vote.vote_id}/wait?timeout_seconds=60`, {
      token: chair.token,
    });
    await cast(voters[1], vote.vote_id, 'x');
    const woke = await waiting;
    expect(woke.body).toMatchObject({ timed_out: false, vote: { status: 'decided', result: 'x' } });

    const listed = await t.api('GET', '/api/v1/votes?status=decided', { token: voters[1].token });
    expect(listed.body.votes.map((v: any) => v.vote_id)).toEqual([vote.vote_id]);
    expect((await t.api('GET', '/api/v1/votes', { token: outsider.token })).body.votes).toEqual([]);
  });

  it('participants by capability; a restarted hub keeps open votes and closes them once their deadline has passed', async () => {
    const clock = manualClock();
    const { t, chair, voters, cast } = await setup(3, clock);
    const started = await t.api('POST', '/api/v1/votes', {
      token: chair.token,
      body: {
        proposal: 'Rename?',
        options: ['yes', 'no'],
        capability: 'reviewer',
        rule: 'majority',
        deadline_seconds: 120,
      },
    });
    expect(started.status).toBe(200);
    expect([...started.body.participants].sort()).toEqual(voters.map((v) => v.id).sort());
    await cast(voters[0], started.body.vote_id, 'no');

    await t.hub.close(); // keep the data directory: restart on it
    clock.advance(121);
    const again = await startTestHub({ home: t.home }, { clock });
    hubs.push(again);
    const before = await again.api('GET', `/api/v1/votes/${started.body.vote_id}`, {
      token: again.adminToken,
    });
    expect(before.body.deadline).toBe(started.body.deadline);
    await again.hub.services.coordination.sweep();
    const listed = await again.api('GET', '/api/v1/votes?status=decided', { token: again.adminToken });
    expect(listed.body.votes).toHaveLength(1);
    expect(listed.body.votes[0]).toMatchObject({
      vote_id: started.body.vote_id,
      result: 'no',
      tally: { yes: 0, no: 1 },
    });
  });

  it('participants watching over a WebSocket see the vote start, each ballot and the result as frames', async () => {
    const { t, chair, voters, start, cast } = await setup(2);
    const ws = await WsClient.connect(t.url, chair.id, { token: chair.token });
    const voterWs = await WsClient.connect(t.url, voters[0].id, { token: voters[0].token });
    try {
      const vote = await start({ options: ['x', 'y'], rule: 'majority' });
      const started = await voterWs.waitFor((f) => f.type === 'vote.started');
      expect(started.vote).toMatchObject({ vote_id: vote.vote_id, status: 'open' });
      await cast(voters[0], vote.vote_id, 'x');
      await cast(voters[1], vote.vote_id, 'x');
      const ballot = await ws.waitFor((f) => f.type === 'vote.cast');
      expect(ballot).toMatchObject({ vote_id: vote.vote_id, agent_id: voters[0].id, option: 'x' });
      for (const socket of [ws, voterWs]) {
        const closed = await socket.waitFor((f) => f.type === 'vote.closed');
        expect(closed.vote).toMatchObject({ vote_id: vote.vote_id, status: 'decided', result: 'x' });
      }
    } finally {
      await ws.close();
      await voterWs.close();
    }
  });

  it('wait_for_vote returns when the deadline passes on the real clock, with the votes present deciding', async () => {
    const t = await startTestHub();
    hubs.push(t);
    const chair = await t.register('chair');
    const a = await t.register('a');
    const b = await t.register('b');
    const started = await t.api('POST', '/api/v1/votes', {
      token: chair.token,
      body: {
        proposal: 'Quick?',
        options: ['yes', 'no'],
        participants: [a.id, b.id],
        rule: 'majority',
        deadline_seconds: 1,
      },
    });
    await t.api('POST', `/api/v1/votes/${started.body.vote_id}/cast`, {
      token: a.token,
      body: { option: 'no' },
    });
    const waited = await t.api('GET', `/api/v1/votes/${started.body.vote_id}/wait?timeout_seconds=60`, {
      token: chair.token,
    });
    expect(waited.body).toMatchObject({
      timed_out: false,
      vote: { status: 'decided', result: 'no', missing: [b.id] },
    });
  });

  it('bad input gets a clear error naming the field, and nothing is stored or sent', async () => {
    const { t, chair, voters } = await setup(2);
    const ids = voters.map((v) => v.id);
    const base = { proposal: 'p', options: ['a', 'b'], participants: ids, rule: 'majority' };
    const cases: Array<[Record<string, unknown>, number, RegExp]> = [
      [{ ...base, options: ['a'] }, 400, /options/],
      [{ ...base, options: ['a', 'a'] }, 400, /options: "a" is given twice/],
      [{ ...base, rule: 'plurality' }, 400, /rule/],
      [{ ...base, rule: 'quorum' }, 400, /quorum: the quorum rule needs/],
      [{ ...base, rule: 'quorum', quorum: 3 }, 400, /quorum: 3 is more than the 2 participants/],
      [{ ...base, quorum: 1 }, 400, /quorum: only the quorum rule/],
      [{ ...base, capability: 'reviewer' }, 400, /participants: give either/],
      [{ ...base, participants: undefined }, 400, /participants: give either/],
      [{ ...base, participants: [...ids, 'ghost'] }, 404, /participants: ghost is not registered/],
      [{ ...base, participants: undefined, capability: 'nobody' }, 404, /capability/],
      [{ ...base, deadline: '2000-01-01T00:00:00Z' }, 400, /deadline: .* has already passed/],
      [{ ...base, deadline: 'soon' }, 400, /deadline: must be an ISO-8601 time/],
      [{ ...base, deadline_seconds: 0 }, 400, /deadline_seconds/],
      [{ ...base, proposal: '' }, 400, /proposal/],
      [{ ...base, extra: 1 }, 400, /extra/],
    ];
    for (const [body, status, message] of cases) {
      const res = await t.api('POST', '/api/v1/votes', { token: chair.token, body });
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.error.message).toMatch(message);
    }
    expect((await t.api('GET', '/api/v1/votes', { token: t.adminToken })).body.votes).toEqual([]);
    const inbox = await t.api('GET', '/api/v1/messages', { token: voters[0].token });
    expect(inbox.body.messages).toEqual([]);
  });
});
