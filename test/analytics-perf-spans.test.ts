/**
 * analytics_performance and analytics_engagement read day and all-time rollups (schema version 17):
 * latency histograms, reply counts and active senders. Their answers must be exactly what the
 * per-minute rollups say, across hour and day boundaries, with ranges that cut buckets in two, per
 * project and agent, after a rebuild, and after a schema upgrade that fills them from stored rows.
 */
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RollupQuery } from '../src/store/analytics.js';
import { migrate } from '../src/store/sqlite/open.js';
import { migrations } from '../src/store/sqlite/migrations.js';
import { db } from './hostile-support.js';
import { TestClock } from './helpers/clock.js';
import { hubPerTest, type TestHub } from './helpers/hub.js';
import { type Agent, clockedSend, fiveAgents } from './helpers/traffic.js';

let t: TestHub | undefined;
const hubs = hubPerTest();

/**
 * These tests hold SQLite's own hour/day/all-time summary tables against its minute rows (and its
 * schema upgrades), so their hubs stay on a SQLite file whatever SWITCHBOARD_TEST_STORE says; the
 * PostgreSQL store's figures are held against SQLite's in test/store/analytics.test.ts.
 */
const onSqlite = () => {
  const home = mkdtempSync(join(tmpdir(), 'switchboard-test-'));
  return { home, db: join(home, 'switchboard.db') };
};

const day1 = (hhmm: string) => `2026-03-01T${hhmm}:00.000Z`;
const day2 = (hhmm: string) => `2026-03-02T${hhmm}:00.000Z`;
const minute = (iso: string) => Date.parse(iso) / 60_000;

/**
 * Requests with ack_required, responses, reads and acks on both sides of 23:00 and of midnight, in
 * two projects: day 1 22:58 A asks B (ack required), 22:59 B reads, acks and answers; 23:01 A asks C,
 * 23:59 C reads; day 2 00:00 C answers and B asks A; 00:30 D asks E (project other), 00:45 E answers
 * and A reads its three unread messages at 01:10.
 */
async function scenario(h: TestHub, clock: TestClock) {
  const { a, b, c, d, e } = await fiveAgents(h);
  const send = clockedSend(h, clock);
  const read = async (at: string, day: number, who: Agent) => {
    clock.at(at, day);
    expect((await h.api('GET', `/api/v1/messages?agent_id=${who.id}`, { token: who.token })).status).toBe(
      200,
    );
  };
  const ack = async (at: string, day: number, who: Agent, id: string) => {
    clock.at(at, day);
    const r = await h.api('POST', '/api/v1/messages/ack', { token: who.token, body: { message_ids: [id] } });
    expect(r.status).toBe(200);
  };
  const q1 = await send('22:58', 1, a, { to: b.id, type: 'request', ack_required: true });
  await read('22:59', 1, b);
  await ack('22:59', 1, b, q1.message_id);
  await send('22:59', 1, b, { to: a.id, type: 'response', reply_to: q1.message_id });
  const q2 = await send('23:01', 1, a, { to: c.id, type: 'request' });
  await read('23:59', 1, c);
  await send('00:00', 2, c, { to: a.id, type: 'response', reply_to: q2.message_id });
  await send('00:00', 2, b, { to: a.id, type: 'request', ack_required: true });
  const q4 = await send('00:30', 2, d, { to: e.id, type: 'request' });
  await send('00:45', 2, e, { to: d.id, type: 'response', reply_to: q4.message_id });
  await read('01:10', 2, a);
  return { a, b, c, d, e };
}

/** What the per-minute rollups say for a query: the reference the day/all-time rollups must equal. */
function fromMinutes(d: Database.Database, q: RollupQuery) {
  const where = (agentColumn: string, extra = '') => {
    const parts = ['minute >= ?', 'minute < ?'];
    const params: unknown[] = [q.sinceMinute ?? -1e15, q.untilMinute ?? 1e15];
    if (q.project !== undefined) {
      parts.push('project = ?');
      params.push(q.project);
    }
    if (q.agentIds !== undefined) {
      parts.push(`${agentColumn} IN (SELECT value FROM json_each(?))`);
      params.push(JSON.stringify(q.agentIds));
    }
    return { sql: `WHERE ${parts.join(' AND ')}${extra}`, params };
  };
  const all = (sql: string, w: { sql: string; params: unknown[] }) =>
    d.prepare(sql.replace('$W', w.sql)).all(...w.params);
  const series = (n: number) =>
    all(
      `SELECT (minute / ${n}) * ${n} AS bucket, metric, bin, SUM(count) AS count, SUM(sum_ms) AS sumMs
       FROM analytics_latency $W GROUP BY bucket, metric, bin ORDER BY bucket, metric, bin`,
      where('agent_id'),
    );
  const active = (n: number) =>
    all(
      `SELECT (minute / ${n}) * ${n} AS bucket, COUNT(DISTINCT agent_id) AS agents FROM analytics_agents $W
       GROUP BY bucket ORDER BY bucket`,
      where('agent_id', ' AND sent > 0'),
    );
  const byAgent = all(
    `SELECT agent_id AS agentId, metric, bin, SUM(count) AS count, SUM(sum_ms) AS sumMs FROM analytics_latency $W
     GROUP BY agent_id, metric, bin ORDER BY agent_id, metric, bin`,
    where('agent_id'),
  ) as Array<{ agentId: string; metric: string; bin: number; count: number }>;
  return {
    byAgentHistograms: byAgent.map((r) => [r.agentId, r.metric, r.bin, r.count]),
    totals: all(
      `SELECT metric, bin, SUM(count) AS count, SUM(sum_ms) AS sumMs FROM analytics_latency $W
       GROUP BY metric, bin ORDER BY metric, bin`,
      where('agent_id'),
    ),
    hours: series(60),
    days: series(1440),
    byAgent: all(
      `SELECT agent_id AS agentId, metric, bin, SUM(count) AS count, SUM(sum_ms) AS sumMs FROM analytics_latency $W
       GROUP BY agent_id, metric, bin ORDER BY agent_id, metric, bin`,
      where('agent_id'),
    ),
    counts: all(
      `SELECT agent_id AS agentId, metric, SUM(count) AS count FROM analytics_latency $W
       GROUP BY agent_id, metric ORDER BY agent_id, metric`,
      where('agent_id'),
    ),
    replies: all(
      `SELECT to_agent AS agentId, SUM(requests) AS requests, SUM(answered) AS answered,
         SUM(ack_required) AS ackRequired, SUM(acked) AS acked FROM analytics_replies $W
       GROUP BY to_agent ORDER BY to_agent`,
      where('to_agent'),
    ),
    activeHours: {
      buckets: active(60),
      total: (
        all(
          `SELECT COUNT(DISTINCT agent_id) AS n FROM analytics_agents $W`,
          where('agent_id', ' AND sent > 0'),
        )[0] as { n: number }
      ).n,
    },
    activeDays: active(1440),
  };
}

async function fromStore(h: TestHub, q: RollupQuery) {
  const s = h.hub.store.analytics;
  const hours = await s.activeSenders(q, 60);
  const histograms = (await s.latencyByAgentHistograms(q)).flatMap((r) =>
    [...r.bins].sort((x, y) => x[0] - y[0]).map(([bin, count]) => [r.agentId, r.metric, bin, count]),
  );
  return {
    byAgentHistograms: histograms,
    totals: await s.latencyTotals(q),
    hours: await s.latencySeries(q, 60),
    days: await s.latencySeries(q, 1440),
    byAgent: await s.latencyByAgent(q),
    counts: await s.latencyCounts(q),
    replies: await s.replyTotals(q),
    activeHours: hours,
    activeDays: (await s.activeSenders(q, 1440)).buckets,
  };
}

/** Ranges that cut hours and days in two, open ends, and an empty one, in minutes. */
const RANGES: Array<[string | undefined, string | undefined]> = [
  [undefined, undefined],
  [day1('22:59'), day2('00:01')],
  [day1('23:00'), undefined],
  [undefined, day2('00:00')],
  [day1('23:30'), day2('00:40')],
  [day1('00:00'), day2('00:00')],
  [day2('00:10'), day2('00:20')],
  [day2('00:20'), day2('00:10')],
];

async function expectExact(h: TestHub, agents: Agent[]) {
  await h.hub.services.analytics.recorder.flush();
  const d = db(h);
  for (const [since, until] of RANGES)
    for (const project of [undefined, 'default', 'other'])
      for (const agentIds of [undefined, [agents[0]!.id], agents.map((x) => x.id)]) {
        const q: RollupQuery = { project, agentIds };
        if (since) q.sinceMinute = minute(since);
        if (until) q.untilMinute = minute(until);
        const label = JSON.stringify({ since, until, project, agentIds: agentIds?.length });
        expect({ label, ...(await fromStore(h, q)) }).toEqual({ label, ...fromMinutes(d, q) });
      }
}

describe('analytics performance and engagement from day and all-time rollups', () => {
  it('answer exactly what the per-minute rollups say, across hour and day boundaries, and after a rebuild', async () => {
    const clock = new TestClock(Date.parse(day1('22:00')));
    t = await hubs.start({ ...onSqlite(), analytics: { cacheSeconds: 0 } }, { clock });
    const s = await scenario(t, clock);
    const admin = { token: t.adminToken };
    const get = async (what: string, query: string) => {
      const r = await t!.api('GET', `/api/v1/analytics/${what}?${query}`, admin);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body;
    };

    // What a user sees: senders per hour and per day, response and ack counts, latency counts.
    const eng = await get('engagement', 'bucket=hour');
    expect(eng.active_agents).toEqual({
      total: 5,
      series: [
        { bucket_start: day1('22:00'), agents: 2 },
        { bucket_start: day1('23:00'), agents: 1 },
        { bucket_start: day2('00:00'), agents: 4 },
      ],
    });
    expect(eng.totals).toMatchObject({ requests: 4, answered: 3, ack_required: 2, acked: 1, acks: 1 });
    const cut = await get('engagement', `bucket=day&since=${day1('22:59')}&until=${day2('00:31')}`);
    expect(cut.active_agents).toEqual({
      total: 4,
      series: [
        { bucket_start: day1('00:00'), agents: 2 },
        { bucket_start: day2('00:00'), agents: 3 },
      ],
    });
    expect(cut.totals).toMatchObject({ requests: 3, answered: 2 });
    const perf = await get('performance', 'bucket=day');
    expect(
      Object.fromEntries(Object.entries(perf.metrics).map(([m, x]: [string, any]) => [m, x.count])),
    ).toMatchObject({ delivery: 5, ack: 1, response: 3, first_response: 3 });
    expect(perf.metrics.delivery.series.map((x: any) => [x.bucket_start, x.count])).toEqual([
      [day1('00:00'), 2],
      [day2('00:00'), 3],
    ]);
    const other = await get('performance', `bucket=hour&project=other&since=${day2('00:40')}`);
    expect(other.metrics.response.count).toBe(1);
    expect(other.by_agent.map((x: any) => x.agent_id)).toEqual(
      [s.d.id, s.e.id].filter((id) => id === s.e.id),
    );

    const agents = [s.a, s.b, s.c, s.d, s.e];
    await expectExact(t, agents);

    // A rebuild from the log writes the same rollups, and the same answers.
    const before = await get('performance', 'bucket=hour');
    expect((await t.api('POST', '/api/v1/analytics/rebuild', { ...admin, body: {} })).status).toBe(200);
    expect({ ...(await get('performance', 'bucket=hour')), age_seconds: 0 }).toEqual({
      ...before,
      age_seconds: 0,
    });
    await expectExact(t, agents);
  });

  it('fills the day and all-time rollups from stored rollups when the schema is upgraded', async () => {
    const clock = new TestClock(Date.parse(day1('22:00')));
    t = await hubs.start({ ...onSqlite(), analytics: { cacheSeconds: 0 } }, { clock });
    await scenario(t, clock);
    await t.hub.services.analytics.recorder.flush();
    const live = db(t);
    const old = new Database(':memory:');
    migrate(
      old,
      migrations.filter((m) => m.version < 17),
    );
    for (const table of ['analytics_latency_hours', 'analytics_replies_hours', 'analytics_agents']) {
      const rows = live.prepare(`SELECT * FROM ${table}`).all() as Array<Record<string, unknown>>;
      expect(rows.length, table).toBeGreaterThan(0);
      const cols = Object.keys(rows[0]!);
      const put = old.prepare(
        `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`,
      );
      for (const r of rows) put.run(r);
    }
    migrate(old, migrations);
    for (const table of [
      'analytics_latency_spans',
      'analytics_reply_spans',
      'analytics_active_seen',
      'analytics_active_counts',
    ]) {
      const all = (d: Database.Database) => d.prepare(`SELECT * FROM ${table} ORDER BY 1, 2, 3, 4`).all();
      expect(all(old).length, table).toBeGreaterThan(0);
      expect(all(old), table).toEqual(all(live));
    }
    old.close();
  });
});
