/**
 * AnalyticsStore conformance: every method on SQLite and PostgreSQL, the same figures from both for
 * the same recorded traffic, and recorders on several nodes adding into the same rows exactly.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { created, withAttempts } from '../../src/domain/tasks/attempts.js';
import * as tr from '../../src/domain/tasks/transitions.js';
import { binOf } from '../../src/domain/analytics/histogram.js';
import type {
  AgentRollup,
  AnalyticsStore,
  AnswerClaim,
  CallRollup,
  FirstResponseClaim,
  LatencyRollup,
  PairRollup,
  PerfDelta,
  ReplyRollup,
  RollupDelta,
  RollupQuery,
  ThreadRollup,
} from '../../src/store/analytics.js';
import { PostgresStore } from '../../src/store/postgres/index.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import type { NewMessage, Store } from '../../src/store/types.js';
import { agentRecord } from '../helpers/agent-record.js';
import { createTestDatabase, hasPostgres } from '../helpers/postgres.js';
import { describeStores } from '../helpers/stores.js';
import { iso, T0, taskRecord } from '../helpers/task-record.js';

/** Minutes since the epoch of 2026-03-01 at hh:mm on day `d` (1 or 2). */
const at = (hhmm: string, d = 1) => Date.parse(`2026-03-0${d}T${hhmm}:00.000Z`) / 60_000;

const empty = (): RollupDelta => ({ pairs: [], agents: [], threads: [], calls: [], instanceUsage: [] });
const emptyPerf = (): PerfDelta => ({
  latency: [],
  replies: [],
  threadStarts: [],
  threadsAnswered: [],
  answered: [],
});

const agent = (
  minute: number,
  agentId: string,
  project: string,
  o: Partial<AgentRollup> = {},
): AgentRollup => ({
  minute,
  agentId,
  project,
  sent: 0,
  received: 0,
  tasksClaimed: 0,
  tasksCompleted: 0,
  tasksFailed: 0,
  tokens: 0,
  costUsd: 0,
  ...o,
});
const pair = (
  minute: number,
  from: string,
  to: string,
  project: string,
  o: Partial<PairRollup> = {},
): PairRollup => ({
  minute,
  project,
  from,
  to,
  messages: 0,
  requests: 0,
  responses: 0,
  acks: 0,
  latencyMsSum: 0,
  latencyCount: 0,
  ...o,
});
const thread = (
  minute: number,
  threadId: string,
  agentId: string,
  project: string,
  type: string,
  sent: number,
  received: number,
): ThreadRollup => ({ minute, threadId, agentId, project, type, sent, received });
const call = (
  minute: number,
  name: string,
  project: string,
  bin: number,
  calls: number,
  errors: number,
  ms: number,
): CallRollup => ({
  minute,
  kind: 'operation',
  name,
  project,
  bin,
  calls,
  errors,
  latencyMsSum: ms,
});
const latency = (
  minute: number,
  metric: string,
  agentId: string,
  project: string,
  bin: number,
  count: number,
  sumMs: number,
): LatencyRollup => ({
  minute,
  project,
  metric,
  agentId,
  bin,
  count,
  sumMs,
});
const reply = (
  minute: number,
  from: string,
  to: string,
  project: string,
  o: Partial<ReplyRollup> = {},
): ReplyRollup => ({
  minute,
  project,
  from,
  to,
  requests: 0,
  answered: 0,
  ackRequired: 0,
  acked: 0,
  ...o,
});

/** A claim of thread `threadId`'s first response, by `agentId` after `ms`. */
const firstResponse = (threadId: string, agentId: string, ms: number): FirstResponseClaim => ({
  threadId,
  latency: latency(at('12:00'), 'first_response', agentId, 'default', binOf(ms), 1, ms),
});
/** A claim of `agentId`'s first answer to request `requestId`, after `ms`. */
const answer = (requestId: string, agentId: string, ms: number): AnswerClaim => ({
  requestId,
  agentId,
  latency: latency(at('12:00'), 'response', agentId, 'default', binOf(ms), 1, ms),
  reply: reply(at('11:59'), 'h', agentId, 'default', { answered: 1 }),
});

/** A small day of traffic: a and b in `default`, c in `other`, across an hour and a day boundary. */
function traffic(): { delta: RollupDelta; perf: PerfDelta } {
  const m1 = at('22:58');
  const m2 = at('23:10');
  const m3 = at('00:05', 2);
  return {
    delta: {
      pairs: [
        pair(m1, 'a', 'b', 'default', { messages: 2, requests: 1 }),
        pair(m2, 'b', 'a', 'default', { messages: 1, responses: 1, latencyMsSum: 720_000, latencyCount: 1 }),
        pair(m3, 'a', 'b', 'default', { messages: 1, acks: 1 }),
        pair(m3, 'c', 'a', 'other', { messages: 3 }),
      ],
      agents: [
        agent(m1, 'a', 'default', { sent: 2, tasksClaimed: 1, tokens: 100, costUsd: 0.25 }),
        agent(m1, 'b', 'default', { received: 2 }),
        agent(m2, 'b', 'default', { sent: 1, tasksCompleted: 1 }),
        agent(m2, 'a', 'default', { received: 1 }),
        agent(m3, 'a', 'default', { sent: 1, received: 3, tasksFailed: 1, tokens: 50, costUsd: 0.125 }),
        agent(m3, 'c', 'other', { sent: 3 }),
      ],
      threads: [
        thread(m1, 't1', 'a', 'default', 'request', 1, 0),
        thread(m1, 't1', 'a', 'default', 'note', 1, 0),
        thread(m1, 't1', 'b', 'default', 'request', 0, 2),
        thread(m2, 't1', 'b', 'default', 'response', 1, 0),
        thread(m2, 't1', 'a', 'default', 'response', 0, 1),
        thread(m3, 't2', 'a', 'default', 'note', 1, 0),
        thread(m3, 't3', 'c', 'other', 'note', 3, 0),
        thread(m3, 't3', 'a', 'other', 'note', 0, 3),
      ],
      calls: [
        call(m1, 'send_message', 'default', 3, 4, 1, 12),
        call(m3, 'send_message', 'default', 3, 2, 0, 6),
        call(m3, 'claim_task', 'other', 5, 1, 1, 30),
      ],
      instanceUsage: [{ instanceId: 'i1', tokens: 150, costUsd: 0.375 }],
    },
    perf: {
      latency: [
        latency(m1, 'read', 'b', 'default', 4, 2, 3000),
        latency(m3, 'read', 'b', 'default', 4, 1, 1000),
        latency(m3, 'read', 'a', 'other', 5, 3, 6000),
      ],
      replies: [
        reply(m1, 'a', 'b', 'default', { requests: 1, ackRequired: 1 }),
        reply(m3, 'a', 'b', 'default', { ackRequired: 1, acked: 1 }),
        reply(m3, 'c', 'a', 'other', { requests: 2 }),
      ],
      threadStarts: [
        { threadId: 't1', starter: 'a', startedMs: m1 * 60_000 },
        { threadId: 't2', starter: 'a', startedMs: m3 * 60_000 },
      ],
      // Claimed (record() stores the starts first). The store counts a claim's rows as they are.
      threadsAnswered: [
        { threadId: 't1', latency: latency(m2, 'first_response', 'b', 'default', 9, 1, 720_000) },
      ],
      answered: [
        {
          requestId: 'r1',
          agentId: 'b',
          latency: latency(m2, 'read', 'a', 'default', 6, 1, 9000),
          reply: reply(m1, 'a', 'b', 'default', { answered: 1 }),
        },
      ],
    },
  };
}

/** Records a delta, its thread starts before its claims (as the fold's batches come). */
async function record(s: AnalyticsStore, t = traffic()) {
  await s.apply(t.delta);
  await s.applyPerf({ ...t.perf, threadsAnswered: [], answered: [] });
  await s.applyPerf({ ...emptyPerf(), threadsAnswered: t.perf.threadsAnswered, answered: t.perf.answered });
}

describeStores('analytics', (open) => {
  it('sums agent and pair rollups by agent or pair, ordered, for a range, a project and agents', async () => {
    const { store } = await open();
    const a = store.analytics;
    await record(a);
    expect(await a.agentTotals({})).toEqual([
      {
        agentId: 'a',
        project: 'default',
        sent: 3,
        received: 4,
        tasksClaimed: 1,
        tasksCompleted: 0,
        tasksFailed: 1,
        tokens: 150,
        costUsd: 0.375,
      },
      {
        agentId: 'b',
        project: 'default',
        sent: 1,
        received: 2,
        tasksClaimed: 0,
        tasksCompleted: 1,
        tasksFailed: 0,
        tokens: 0,
        costUsd: 0,
      },
      {
        agentId: 'c',
        project: 'other',
        sent: 3,
        received: 0,
        tasksClaimed: 0,
        tasksCompleted: 0,
        tasksFailed: 0,
        tokens: 0,
        costUsd: 0,
      },
    ]);
    expect((await a.agentTotals({ project: 'other' })).map((r) => r.agentId)).toEqual(['c']);
    expect((await a.agentTotals({ agentIds: ['b', 'c'] })).map((r) => r.agentId)).toEqual(['b', 'c']);
    // [22:59, 00:05 day 2): only minute 23:10.
    expect(await a.agentTotals({ sinceMinute: at('22:59'), untilMinute: at('00:05', 2) })).toMatchObject([
      { agentId: 'a', sent: 0, received: 1 },
      { agentId: 'b', sent: 1, tasksCompleted: 1 },
    ]);
    expect(await a.agentTotals({ sinceMinute: at('23:00'), untilMinute: at('23:00') })).toEqual([]);

    expect(await a.pairTotals({ project: 'default' })).toEqual([
      {
        project: 'default',
        from: 'a',
        to: 'b',
        messages: 3,
        requests: 1,
        responses: 0,
        acks: 1,
        latencyMsSum: 0,
        latencyCount: 0,
      },
      {
        project: 'default',
        from: 'b',
        to: 'a',
        messages: 1,
        requests: 0,
        responses: 1,
        acks: 0,
        latencyMsSum: 720_000,
        latencyCount: 1,
      },
    ]);
    // An agent filter matches either end of a pair.
    expect((await a.pairTotals({ agentIds: ['c'] })).map((r) => [r.from, r.to])).toEqual([['c', 'a']]);
    expect((await a.pairTotals({ agentIds: ['b'] })).map((r) => [r.from, r.to])).toEqual([
      ['a', 'b'],
      ['b', 'a'],
    ]);
    // Applying the same delta again adds to what is stored.
    await a.apply(traffic().delta);
    expect((await a.pairTotals({ agentIds: ['c'] }))[0]).toMatchObject({ messages: 6 });
    expect((await a.agentTotals({ agentIds: ['a'] }))[0]).toMatchObject({ sent: 6, costUsd: 0.75 });
  });

  it('sums calls per kind, name and bin (projects and ranges filter; agents do not)', async () => {
    const { store } = await open();
    const a = store.analytics;
    await record(a);
    expect(await a.callTotals({})).toEqual([
      { kind: 'operation', name: 'claim_task', bin: 5, calls: 1, errors: 1, latencyMsSum: 30 },
      { kind: 'operation', name: 'send_message', bin: 3, calls: 6, errors: 1, latencyMsSum: 18 },
    ]);
    expect(
      await a.callTotals({ project: 'default', agentIds: ['nobody'], sinceMinute: at('00:00', 2) }),
    ).toEqual([{ kind: 'operation', name: 'send_message', bin: 3, calls: 2, errors: 0, latencyMsSum: 6 }]);
  });

  it('gives the history per bucket: messages by type, distinct threads and participants, and top threads', async () => {
    const { store } = await open();
    const a = store.analytics;
    await record(a);
    const hours = await a.historySeries({}, 60);
    expect(hours.byType).toEqual([
      { bucket: at('22:00'), type: 'note', messages: 1 },
      { bucket: at('22:00'), type: 'request', messages: 1 },
      { bucket: at('23:00'), type: 'response', messages: 1 },
      { bucket: at('00:00', 2), type: 'note', messages: 4 },
    ]);
    expect(hours.buckets).toEqual([
      { bucket: at('22:00'), threads: 1, participants: 2 },
      { bucket: at('23:00'), threads: 1, participants: 2 },
      { bucket: at('00:00', 2), threads: 2, participants: 2 },
    ]);
    expect(hours.totals).toEqual({ threads: 3, participants: 3 });
    const days = await a.historySeries({ project: 'default' }, 1440);
    expect(days.buckets).toEqual([
      { bucket: at('00:00'), threads: 1, participants: 2 },
      { bucket: at('00:00', 2), threads: 1, participants: 1 },
    ]);
    const quarter = await a.historySeries({ agentIds: ['c'], sinceMinute: at('23:00') }, 15);
    expect(quarter).toEqual({
      byType: [{ bucket: at('00:00', 2), type: 'note', messages: 3 }],
      buckets: [{ bucket: at('00:00', 2), threads: 1, participants: 1 }],
      totals: { threads: 1, participants: 1 },
    });

    expect(await a.topThreads({}, 10)).toEqual([
      { threadId: 't1', messages: 3, participants: 2, firstMinute: at('22:58'), lastMinute: at('23:10') },
      {
        threadId: 't3',
        messages: 3,
        participants: 2,
        firstMinute: at('00:05', 2),
        lastMinute: at('00:05', 2),
      },
      {
        threadId: 't2',
        messages: 1,
        participants: 1,
        firstMinute: at('00:05', 2),
        lastMinute: at('00:05', 2),
      },
    ]);
    expect((await a.topThreads({}, 1)).map((t) => t.threadId)).toEqual(['t1']);
    expect(await a.topThreads({ sinceMinute: at('23:00'), untilMinute: at('00:00', 2) }, 5)).toEqual([
      { threadId: 't1', messages: 1, participants: 2, firstMinute: at('23:10'), lastMinute: at('23:10') },
    ]);
    expect(await a.topThreads({}, 0)).toEqual([]);
  });

  it('replaces instance usage as last counted, and a rebuild clears all but calls', async () => {
    const { store } = await open();
    const a = store.analytics;
    await record(a);
    await a.apply({ ...empty(), instanceUsage: [{ instanceId: 'i1', tokens: 400, costUsd: 1.5 }] });
    expect(await a.instanceUsage(['i1', 'unknown'])).toEqual(
      new Map([['i1', { tokens: 400, costUsd: 1.5 }]]),
    );
    expect(await a.instanceUsage([])).toEqual(new Map());

    await a.clear();
    expect(await a.agentTotals({})).toEqual([]);
    expect(await a.pairTotals({})).toEqual([]);
    expect(await a.topThreads({}, 5)).toEqual([]);
    expect(await a.historySeries({}, 60)).toEqual({
      byType: [],
      buckets: [],
      totals: { threads: 0, participants: 0 },
    });
    expect(await a.instanceUsage(['i1'])).toEqual(new Map());
    expect(await a.latencyTotals({})).toEqual([]);
    expect(await a.replyTotals({})).toEqual([]);
    expect(await a.activeSenders({}, 60)).toEqual({ buckets: [], total: 0 });
    expect((await a.perfMemory(['t1', 't2'], [{ requestId: 'r1', agentId: 'b' }])).threads.size).toBe(0);
    expect((await a.callTotals({})).length).toBe(2);
  });

  it('sums latency histograms per metric, bin, bucket and agent, and reply counts per recipient', async () => {
    const { store } = await open();
    const a = store.analytics;
    await record(a);
    expect(await a.latencyTotals({})).toEqual([
      { metric: 'first_response', bin: 9, count: 1, sumMs: 720_000 },
      { metric: 'read', bin: 4, count: 3, sumMs: 4000 },
      { metric: 'read', bin: 5, count: 3, sumMs: 6000 },
      { metric: 'read', bin: 6, count: 1, sumMs: 9000 },
    ]);
    expect(await a.latencyTotals({ agentIds: ['a'], project: 'default' })).toEqual([
      { metric: 'read', bin: 6, count: 1, sumMs: 9000 },
    ]);
    expect(await a.latencySeries({ project: 'default' }, 1440)).toEqual([
      { bucket: at('00:00'), metric: 'first_response', bin: 9, count: 1, sumMs: 720_000 },
      { bucket: at('00:00'), metric: 'read', bin: 4, count: 2, sumMs: 3000 },
      { bucket: at('00:00'), metric: 'read', bin: 6, count: 1, sumMs: 9000 },
      { bucket: at('00:00', 2), metric: 'read', bin: 4, count: 1, sumMs: 1000 },
    ]);
    expect(await a.latencySeries({ sinceMinute: at('23:00') }, 1)).toEqual([
      { bucket: at('23:10'), metric: 'first_response', bin: 9, count: 1, sumMs: 720_000 },
      { bucket: at('23:10'), metric: 'read', bin: 6, count: 1, sumMs: 9000 },
      { bucket: at('00:05', 2), metric: 'read', bin: 4, count: 1, sumMs: 1000 },
      { bucket: at('00:05', 2), metric: 'read', bin: 5, count: 3, sumMs: 6000 },
    ]);
    for (const size of [60, 1440, 7])
      expect(await a.latencySeriesHistograms({ sinceMinute: at('23:00') }, size)).toEqual(
        size === 1440
          ? [
              {
                bucket: at('00:00'),
                metric: 'first_response',
                count: 1,
                sumMs: 720_000,
                bins: new Map([[9, 1]]),
              },
              { bucket: at('00:00'), metric: 'read', count: 1, sumMs: 9000, bins: new Map([[6, 1]]) },
              {
                bucket: at('00:00', 2),
                metric: 'read',
                count: 4,
                sumMs: 7000,
                bins: new Map([
                  [4, 1],
                  [5, 3],
                ]),
              },
            ]
          : expect.arrayContaining([
              {
                bucket: expect.any(Number),
                metric: 'read',
                count: 4,
                sumMs: 7000,
                bins: new Map([
                  [4, 1],
                  [5, 3],
                ]),
              },
            ]),
      );
    expect(await a.latencyByAgent({ project: 'default' })).toEqual([
      { agentId: 'a', metric: 'read', bin: 6, count: 1, sumMs: 9000 },
      { agentId: 'b', metric: 'first_response', bin: 9, count: 1, sumMs: 720_000 },
      { agentId: 'b', metric: 'read', bin: 4, count: 3, sumMs: 4000 },
    ]);
    expect(await a.latencyByAgentHistograms({})).toEqual([
      {
        agentId: 'a',
        metric: 'read',
        count: 4,
        sumMs: 15_000,
        bins: new Map([
          [5, 3],
          [6, 1],
        ]),
      },
      { agentId: 'b', metric: 'first_response', count: 1, sumMs: 720_000, bins: new Map([[9, 1]]) },
      { agentId: 'b', metric: 'read', count: 3, sumMs: 4000, bins: new Map([[4, 3]]) },
    ]);
    expect(await a.latencyCounts({ untilMinute: at('00:00', 2) })).toEqual([
      { agentId: 'a', metric: 'read', count: 1 },
      { agentId: 'b', metric: 'first_response', count: 1 },
      { agentId: 'b', metric: 'read', count: 2 },
    ]);
    expect(await a.replyTotals({})).toEqual([
      { agentId: 'a', requests: 2, answered: 0, ackRequired: 0, acked: 0 },
      { agentId: 'b', requests: 1, answered: 1, ackRequired: 2, acked: 1 },
    ]);
    expect(await a.replyTotals({ agentIds: ['a'], project: 'default' })).toEqual([]);
  });

  it('counts distinct active senders per bucket and over the range', async () => {
    const { store } = await open();
    const a = store.analytics;
    await record(a);
    expect(await a.activeSenders({}, 60)).toEqual({
      buckets: [
        { bucket: at('22:00'), agents: 1 },
        { bucket: at('23:00'), agents: 1 },
        { bucket: at('00:00', 2), agents: 2 },
      ],
      total: 3,
    });
    expect(await a.activeSenders({ project: 'default' }, 1440)).toEqual({
      buckets: [
        { bucket: at('00:00'), agents: 2 },
        { bucket: at('00:00', 2), agents: 1 },
      ],
      total: 2,
    });
    expect(await a.activeSenders({ agentIds: ['b', 'c'], sinceMinute: at('23:00') }, 5)).toEqual({
      buckets: [
        { bucket: at('23:10'), agents: 1 },
        { bucket: at('00:05', 2), agents: 1 },
      ],
      total: 2,
    });
  });

  it('remembers thread starts until answered (the first start stays) and answers once given', async () => {
    const { store } = await open();
    const a = store.analytics;
    await record(a);
    let memory = await a.perfMemory(
      ['t1', 't2', 'nope'],
      [
        { requestId: 'r1', agentId: 'b' },
        { requestId: 'r1', agentId: 'c' },
      ],
    );
    expect([...memory.threads.values()]).toEqual([
      { threadId: 't2', starter: 'a', startedMs: at('00:05', 2) * 60_000 },
    ]);
    expect([...memory.answered]).toEqual(['r1\u0000b']);
    const before = await a.latencyTotals({});
    await a.applyPerf({
      ...emptyPerf(),
      threadStarts: [
        { threadId: 't2', starter: 'z', startedMs: 1 },
        { threadId: 't4', starter: 'b', startedMs: 2 },
      ],
      answered: [answer('r1', 'b', 100), answer('r1', 'c', 200)],
    });
    memory = await a.perfMemory(['t2', 't4'], [{ requestId: 'r1', agentId: 'c' }]);
    expect(memory.threads.get('t2')).toMatchObject({ starter: 'a' });
    expect(memory.threads.get('t4')).toEqual({ threadId: 't4', starter: 'b', startedMs: 2 });
    expect(memory.answered).toEqual(new Set(['r1\u0000c']));
    // r1 by b was answered before: only c's answer counts.
    const answers = (await a.latencyTotals({})).filter((l) => l.metric === 'response');
    expect(answers).toEqual([{ metric: 'response', bin: binOf(200), count: 1, sumMs: 200 }]);
    // t2 and t4 are claimed (their starts forgotten); t9 was never stored, so its claim counts nothing.
    await a.applyPerf({
      ...emptyPerf(),
      threadsAnswered: ['t2', 't4', 't9'].map((t) => firstResponse(t, 'x', 50)),
    });
    expect((await a.perfMemory(['t2', 't4'], [])).threads.size).toBe(0);
    const firsts = (await a.latencyTotals({})).filter((l) => l.metric === 'first_response');
    const had = before.find((l) => l.metric === 'first_response' && l.bin === binOf(50))?.count ?? 0;
    expect(firsts.find((l) => l.bin === binOf(50))?.count).toBe(had + 2);
    expect((await a.perfMemory([], [])).answered.size).toBe(0);
  });

  it('counts a first response and a first answer once when nodes claim them at once', async () => {
    const { store, peer } = await open();
    const nodes = [store, await peer(), await peer()];
    await store.analytics.applyPerf({
      ...emptyPerf(),
      threadStarts: [{ threadId: 't', starter: 'h', startedMs: 0 }],
    });
    // Every node folded a response in t and an answer to request q from the same memory: 30 claims.
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        nodes[i % nodes.length]!.analytics.applyPerf({
          ...emptyPerf(),
          latency: [latency(at('12:00'), 'read', 'b', 'default', 3, 1, 10)],
          threadsAnswered: [firstResponse('t', `n${i}`, 1000)],
          answered: [answer('q', 'b', 2000)],
        }),
      ),
    );
    for (const node of nodes) {
      const a = node.analytics;
      expect(await a.latencyTotals({})).toEqual([
        { metric: 'first_response', bin: binOf(1000), count: 1, sumMs: 1000 },
        { metric: 'read', bin: 3, count: 30, sumMs: 300 },
        { metric: 'response', bin: binOf(2000), count: 1, sumMs: 2000 },
      ]);
      expect(await a.replyTotals({})).toEqual([
        { agentId: 'b', requests: 0, answered: 1, ackRequired: 0, acked: 0 },
      ]);
      expect((await a.perfMemory(['t'], [])).threads.size).toBe(0);
    }
  });

  it("scans the task attempt history a rebuild reads, with each task's creation time and project", async () => {
    const { store } = await open();
    const task = (id: string, project: string) => taskRecord(id, { title: id, input: {}, project });
    expect(await store.analytics.scanAttempts()).toEqual([]);
    await store.tasks.insert(created(task('t2', 'other')));
    await store.tasks.insert(created(task('t1', 'default')));
    await store.tasks.mutate('t1', withAttempts(tr.claim('w1', [], T0 + 1000)));
    await store.tasks.mutate('t1', withAttempts(tr.fail('w1', T0 + 2000, 'flaky', true)));
    await store.tasks.mutate('t1', withAttempts(tr.claim('w2', [], T0 + 3000)));
    await store.tasks.mutate('t1', withAttempts(tr.complete('w2', T0 + 4000, null, [])));
    await store.tasks.mutate('t2', withAttempts(tr.claim('w1', [], T0 + 5000)));
    const scanned = await store.analytics.scanAttempts();
    const sorted = [...scanned].sort((x, y) => x.claimedAt.localeCompare(y.claimedAt));
    expect(sorted).toEqual([
      {
        attempt: 1,
        taskCreatedAt: iso(T0),
        agentId: 'w1',
        project: 'default',
        claimedAt: iso(T0 + 1000),
        endedAt: iso(T0 + 2000),
        outcome: expect.any(String),
      },
      {
        attempt: 2,
        taskCreatedAt: iso(T0),
        agentId: 'w2',
        project: 'default',
        claimedAt: iso(T0 + 3000),
        endedAt: iso(T0 + 4000),
        outcome: 'completed',
      },
      {
        attempt: 1,
        taskCreatedAt: iso(T0),
        agentId: 'w1',
        project: 'other',
        claimedAt: iso(T0 + 5000),
        endedAt: null,
        outcome: null,
      },
    ]);
    expect(sorted[0]!.outcome).not.toBe('completed');
  });

  it('scans the message log with its deliveries, and finds deliveries by inbox cursor or by message', async () => {
    const { store } = await open();
    const T0 = Date.parse('2026-03-01T10:00:00.000Z');
    const iso = (ms: number) => new Date(ms).toISOString();
    for (const id of ['ag_s', 'ag_r', 'ag_o'])
      await store.createAgent(agentRecord(id, iso(T0), { name: id }));
    const message = (id: string, recipients: string[], o: Partial<NewMessage> = {}): NewMessage => ({
      id,
      from: 'ag_s',
      to: recipients.length === 1 ? recipients[0]! : recipients,
      type: 'request',
      subject: null,
      body: { text: id },
      threadId: 'thr_1',
      replyTo: null,
      correlationId: null,
      importance: 'normal',
      ackRequired: false,
      project: 'p1',
      createdAt: iso(T0),
      expiresAt: null,
      idempotencyKey: null,
      recipients,
      sentByAdmin: false,
      ...o,
    });
    expect(await store.analytics.scanMessages(0, 10)).toEqual([]);
    const m1 = await store.insertMessage(message('msg_1', ['ag_r', 'ag_o'], { ackRequired: true }));
    const m2 = await store.insertMessage(
      message('msg_2', ['ag_s'], {
        from: 'ag_r',
        type: 'response',
        replyTo: 'msg_1',
        createdAt: iso(T0 + 60_000),
      }),
    );
    const read = m1.deliveries.find((d) => d.agentId === 'ag_r')!;
    await store.markRead('ag_r', [read.cursor], iso(T0 + 5000));
    await store.ackMessages('ag_o', ['msg_1'], iso(T0 + 7000));

    const log = await store.analytics.scanMessages(0, 10);
    expect(
      log.map((m) => ({
        ...m,
        deliveries: [...m.deliveries].sort((x, y) => x.agentId.localeCompare(y.agentId)),
      })),
    ).toEqual([
      {
        seq: m1.message.seq,
        id: 'msg_1',
        from: 'ag_s',
        type: 'request',
        threadId: 'thr_1',
        replyTo: null,
        project: 'p1',
        createdAt: iso(T0),
        ackRequired: true,
        deliveries: [
          { agentId: 'ag_o', ackedAt: iso(T0 + 7000), readAt: expect.anything() },
          { agentId: 'ag_r', ackedAt: null, readAt: iso(T0 + 5000) },
        ],
      },
      {
        seq: m2.message.seq,
        id: 'msg_2',
        from: 'ag_r',
        type: 'response',
        threadId: 'thr_1',
        replyTo: 'msg_1',
        project: 'p1',
        createdAt: iso(T0 + 60_000),
        ackRequired: false,
        deliveries: [{ agentId: 'ag_s', ackedAt: null, readAt: null }],
      },
    ]);
    expect((await store.analytics.scanMessages(m1.message.seq, 10)).map((m) => m.id)).toEqual(['msg_2']);
    expect((await store.analytics.scanMessages(0, 1)).map((m) => m.id)).toEqual(['msg_1']);

    const other = m2.deliveries[0]!;
    const reads = await store.analytics.deliveryReads(
      [
        { agentId: 'ag_r', cursor: read.cursor },
        // Another agent with that cursor number: not ag_r's delivery.
        { agentId: 'ag_nobody', cursor: read.cursor },
      ],
      [
        { messageId: 'msg_2', agentId: 'ag_s' },
        { messageId: 'msg_2', agentId: 'ag_o' },
      ],
    );
    expect(reads).toEqual([
      {
        cursor: read.cursor,
        messageId: 'msg_1',
        agentId: 'ag_r',
        readAt: iso(T0 + 5000),
        createdAt: iso(T0),
        from: 'ag_s',
      },
      {
        cursor: other.cursor,
        messageId: 'msg_2',
        agentId: 'ag_s',
        readAt: null,
        createdAt: iso(T0 + 60_000),
        from: 'ag_r',
      },
    ]);
    expect(await store.analytics.deliveryReads([], [])).toEqual([]);
  });

  it('adds the rollups of recorders on two nodes writing the same rows at once exactly', async () => {
    const { store, peer } = await open();
    const other = await peer();
    const nodes = [store, other, await peer()];
    const m = at('12:00');
    const rounds = 30;
    await Promise.all(
      Array.from({ length: rounds * nodes.length }, (_, i) => {
        const a = nodes[i % nodes.length]!.analytics;
        const delta: RollupDelta = {
          ...empty(),
          pairs: [
            pair(m, 'a', 'b', 'default', { messages: 1, latencyMsSum: 2, latencyCount: 1 }),
            pair(m + (i % 3), 'b', 'a', 'default', { messages: 1 }),
          ],
          agents: [
            agent(m, 'b', 'default', { received: 1 }),
            agent(m, 'a', 'default', { sent: 1, costUsd: 0.5 }),
          ],
          threads: [thread(m, 't', 'a', 'default', 'note', 1, 0)],
          calls: [call(m, 'send_message', 'default', 2, 1, i % 2, 3)],
        };
        return Promise.all([
          a.apply(delta),
          a.applyPerf({
            ...emptyPerf(),
            latency: [latency(m, 'read', 'b', 'default', 3, 1, 10)],
            replies: [reply(m, 'a', 'b', 'default', { requests: 1 })],
            answered: [
              {
                requestId: 'r',
                agentId: 'b',
                latency: latency(m, 'read', 'b', 'default', 3, 1, 10),
                reply: reply(m, 'a', 'b', 'default', { answered: 1 }),
              },
            ],
          }),
        ]);
      }),
    );
    const n = rounds * nodes.length;
    for (const node of nodes) {
      const a = node.analytics;
      expect(await a.agentTotals({})).toEqual([
        {
          agentId: 'a',
          project: 'default',
          sent: n,
          received: 0,
          tasksClaimed: 0,
          tasksCompleted: 0,
          tasksFailed: 0,
          tokens: 0,
          costUsd: n / 2,
        },
        {
          agentId: 'b',
          project: 'default',
          sent: 0,
          received: n,
          tasksClaimed: 0,
          tasksCompleted: 0,
          tasksFailed: 0,
          tokens: 0,
          costUsd: 0,
        },
      ]);
      expect((await a.pairTotals({})).map((p) => [p.from, p.messages, p.latencyMsSum])).toEqual([
        ['a', n, 2 * n],
        ['b', n, 0],
      ]);
      expect(await a.callTotals({})).toEqual([
        { kind: 'operation', name: 'send_message', bin: 2, calls: n, errors: n / 2, latencyMsSum: 3 * n },
      ]);
      expect((await a.topThreads({}, 1))[0]).toMatchObject({ messages: n });
      // The answer all of them claimed counts once (its sample and its reply row).
      expect(await a.latencyTotals({})).toEqual([
        { metric: 'read', bin: 3, count: n + 1, sumMs: 10 * (n + 1) },
      ]);
      expect(await a.replyTotals({})).toEqual([
        { agentId: 'b', requests: n, answered: 1, ackRequired: 0, acked: 0 },
      ]);
      expect((await a.perfMemory([], [{ requestId: 'r', agentId: 'b' }])).answered.size).toBe(1);
    }
  });
});

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Traffic over two days in batches, as a recorder writes it. Costs and latencies are multiples of
 * 1/8 and whole milliseconds, so their sums are exact whatever order a store adds them in.
 */
function randomTraffic(seed: number): Array<{ delta: RollupDelta; perf: PerfDelta }> {
  const r = random(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  const agents = [
    ['a', 'default'],
    ['b', 'default'],
    ['c', 'default'],
    ['d', 'other'],
    ['e', 'other'],
  ] as const;
  const start = at('20:00');
  const out: Array<{ delta: RollupDelta; perf: PerfDelta }> = [];
  for (let batch = 0; batch < 12; batch++) {
    const delta = empty();
    const perf = emptyPerf();
    for (let i = 0; i < 25; i++) {
      const minute = start + Math.floor(r() * 1800);
      const [from, project] = pick([...agents]);
      const peers = agents.filter((x) => x[1] === project && x[0] !== from);
      const [to] = pick(peers);
      const type = pick(['note', 'request', 'response']);
      const threadId = `t${Math.floor(r() * 8)}`;
      delta.pairs.push(
        pair(minute, from, to, project, {
          messages: 1,
          requests: type === 'request' ? 1 : 0,
          latencyMsSum: type === 'response' ? 1000 * Math.floor(r() * 90) : 0,
          latencyCount: type === 'response' ? 1 : 0,
        }),
      );
      delta.agents.push(
        agent(minute, from, project, {
          sent: 1,
          tokens: Math.floor(r() * 100),
          costUsd: Math.floor(r() * 8) / 8,
        }),
      );
      delta.agents.push(agent(minute, to, project, { received: 1, tasksClaimed: r() < 0.2 ? 1 : 0 }));
      delta.threads.push(thread(minute, threadId, from, project, type, 1, 0));
      delta.threads.push(thread(minute, threadId, to, project, type, 0, 1));
      delta.calls.push(
        call(
          minute,
          pick(['send_message', 'read_inbox']),
          project,
          Math.floor(r() * 6),
          1,
          r() < 0.1 ? 1 : 0,
          Math.floor(r() * 50),
        ),
      );
      perf.latency.push(
        latency(
          minute,
          pick(['read', 'ack', 'first_response']),
          to,
          project,
          Math.floor(r() * 10),
          1,
          Math.floor(r() * 5000),
        ),
      );
      perf.replies.push(
        reply(minute, from, to, project, {
          requests: type === 'request' ? 1 : 0,
          answered: r() < 0.5 ? 1 : 0,
          ackRequired: 1,
          acked: r() < 0.5 ? 1 : 0,
        }),
      );
    }
    out.push({ delta, perf });
  }
  return out;
}

/** Every figure of the store for a set of queries cutting hours and days, open ends, projects and agents. */
async function figures(a: AnalyticsStore): Promise<unknown[]> {
  const out: unknown[] = [];
  const ranges: Array<[number | undefined, number | undefined]> = [
    [undefined, undefined],
    [at('21:59'), at('00:01', 2)],
    [at('23:00'), undefined],
    [undefined, at('00:00', 2)],
    [at('21:30'), at('03:40', 2)],
    [at('00:10', 2), at('00:20', 2)],
    [at('00:20', 2), at('00:10', 2)],
  ];
  for (const [sinceMinute, untilMinute] of ranges)
    for (const project of [undefined, 'default', 'other'])
      for (const agentIds of [undefined, ['a'], ['b', 'e']]) {
        const q: RollupQuery = { project, agentIds, sinceMinute, untilMinute };
        out.push(q, await a.agentTotals(q), await a.pairTotals(q), await a.callTotals(q));
        out.push(await a.topThreads(q, 5), await a.latencyTotals(q), await a.latencyByAgent(q));
        out.push(await a.latencyByAgentHistograms(q), await a.latencyCounts(q), await a.replyTotals(q));
        for (const size of [1, 15, 60, 1440]) {
          out.push(size, await a.historySeries(q, size), await a.latencySeries(q, size));
          out.push(await a.latencySeriesHistograms(q, size), await a.activeSenders(q, size));
        }
      }
  return out;
}

describe.runIf(hasPostgres())('analytics on both stores', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });

  it('gives the same figures from SQLite and PostgreSQL for the same recorded traffic', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-analytics-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const sqlite = new SqliteStore(join(dir, 'switchboard.db'));
    cleanups.push(() => sqlite.close());
    const db = await createTestDatabase();
    cleanups.push(() => db.drop());
    const pg = await PostgresStore.open(db.url);
    cleanups.push(() => pg.close());
    const stores: Store[] = [sqlite, pg];
    for (const s of stores) for (const t of randomTraffic(13)) await record(s.analytics, t);
    const [fromSqlite, fromPg] = [await figures(sqlite.analytics), await figures(pg.analytics)];
    expect(fromSqlite.length).toBeGreaterThan(1000);
    expect(fromPg).toEqual(fromSqlite);
  });
});
