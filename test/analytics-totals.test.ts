/**
 * Agent and pair totals read from the per-hour, per-day and all-time rollups (schema version 16):
 * usage and the graph's pair totals must equal the sums of the per-minute rollups for any range
 * (cutting hours and days in two), project and agent filter, after a rebuild and after a schema
 * upgrade; and unread counts must leave out expired messages.
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
import { clockedSend, fiveAgents } from './helpers/traffic.js';

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

const minute = (hhmm: string, day: number) => Date.parse(`2026-03-0${day}T${hhmm}:00.000Z`) / 60_000;

/** Traffic across an hour and a day boundary, in two projects (E→A crosses them). */
async function scenario(h: TestHub, clock: TestClock) {
  const { a, b, c, d, e } = await fiveAgents(h);
  const send = clockedSend(h, clock);
  const t1 = await send('22:58', 1, a, { to: b.id, type: 'request' });
  await send('22:59', 1, b, { to: a.id, type: 'response', reply_to: t1.message_id });
  const t2 = await send('23:01', 1, a, { to: c.id, type: 'request' });
  await send('23:59', 1, c, { to: a.id, type: 'response', reply_to: t2.message_id });
  await send('23:59', 1, b, { to: c.id });
  await send('00:00', 2, c, { to: b.id });
  await send('00:00', 2, a, { to: b.id, thread_id: t1.thread_id });
  await send('00:30', 2, d, { to: e.id });
  await send('00:45', 2, e, { to: a.id });
  await send('01:10', 2, a, { to: [b.id, c.id] });
  return { a, b, c, d, e };
}

/** What the per-minute rollups say for a query (the way totals were read before version 16). */
function fromMinutes(h: TestHub, q: RollupQuery) {
  const where = (agentColumns: string[]) => {
    const parts = ['minute >= ?', 'minute < ?'];
    const params: unknown[] = [q.sinceMinute ?? -1e15, q.untilMinute ?? 1e15];
    if (q.project !== undefined) {
      parts.push('project = ?');
      params.push(q.project);
    }
    if (q.agentIds !== undefined) {
      parts.push(`(${agentColumns.map((c) => `${c} IN (SELECT value FROM json_each(?))`).join(' OR ')})`);
      for (const _ of agentColumns) params.push(JSON.stringify(q.agentIds));
    }
    return { sql: `WHERE ${parts.join(' AND ')}`, params };
  };
  const a = where(['agent_id']);
  const p = where(['from_agent', 'to_agent']);
  return {
    agents: db(h)
      .prepare(
        `SELECT agent_id AS agentId, MAX(project) AS project, SUM(sent) AS sent, SUM(received) AS received,
           SUM(tasks_claimed) AS tasksClaimed, SUM(tasks_completed) AS tasksCompleted, SUM(tasks_failed) AS tasksFailed,
           SUM(tokens) AS tokens, SUM(cost_usd) AS costUsd
         FROM analytics_agents ${a.sql} GROUP BY agent_id ORDER BY agent_id`,
      )
      .all(...a.params),
    pairs: db(h)
      .prepare(
        `SELECT MAX(project) AS project, from_agent AS "from", to_agent AS "to", SUM(messages) AS messages,
           SUM(requests) AS requests, SUM(responses) AS responses, SUM(acks) AS acks,
           SUM(latency_ms_sum) AS latencyMsSum, SUM(latency_count) AS latencyCount
         FROM analytics_pairs ${p.sql} GROUP BY from_agent, to_agent ORDER BY from_agent, to_agent`,
      )
      .all(...p.params),
  };
}

describe('analytics agent and pair totals per hour, day and all time', () => {
  it('equal the per-minute sums for any range, project and agent filter, and after a rebuild', async () => {
    const clock = new TestClock(Date.parse('2026-03-01T22:00:00.000Z'));
    t = await hubs.start({ ...onSqlite(), analytics: { cacheSeconds: 0 } }, { clock });
    const w = await scenario(t, clock);
    await t.hub.services.analytics.recorder.flush();
    const store = t.hub.store.analytics;
    const ranges: Array<[number | undefined, number | undefined]> = [
      [undefined, undefined],
      [minute('22:59', 1), minute('00:01', 2)],
      [minute('23:00', 1), undefined],
      [undefined, minute('00:00', 2)],
      [minute('23:30', 1), minute('00:40', 2)],
      [minute('00:10', 2), minute('00:20', 2)],
      [minute('00:00', 1), minute('00:00', 3)],
      [minute('22:58', 1), minute('22:59', 1)],
    ];
    const answers = async () => {
      const out: unknown[] = [];
      for (const [sinceMinute, untilMinute] of ranges)
        for (const project of [undefined, 'default', 'other'])
          for (const agentIds of [undefined, [w.a.id], [w.b.id, w.e.id]]) {
            const q: RollupQuery = { project, agentIds, sinceMinute, untilMinute };
            const fast = { agents: await store.agentTotals(q), pairs: await store.pairTotals(q) };
            expect(fast, JSON.stringify(q)).toEqual(fromMinutes(t!, q));
            out.push(fast);
          }
      return out;
    };
    const before = await answers();
    // All time: A sent 4 (the last to two agents), received 3; the A→B pair has a request and
    // its response (latency 1 minute).
    const all = await store.agentTotals({});
    expect(all.find((x) => x.agentId === w.a.id)).toMatchObject({ sent: 4, received: 3 });
    const ab = (await store.pairTotals({})).find((p) => p.from === w.a.id && p.to === w.b.id);
    expect(ab).toMatchObject({ messages: 3, requests: 1 });
    // A range with no whole hour and one cutting into the day: A→B in [22:58, 22:59) is the request only.
    expect(
      await store.pairTotals({ sinceMinute: minute('22:58', 1), untilMinute: minute('22:59', 1) }),
    ).toEqual([expect.objectContaining({ from: w.a.id, to: w.b.id, messages: 1, requests: 1 })]);

    const rebuilt = await t.api('POST', '/api/v1/analytics/rebuild', { token: t.adminToken, body: {} });
    expect(rebuilt.status, JSON.stringify(rebuilt.body)).toBe(200);
    expect(await answers()).toEqual(before);
  });

  it('fills the total rollups from stored minute rollups when the schema is upgraded', async () => {
    const clock = new TestClock(Date.parse('2026-03-01T22:00:00.000Z'));
    t = await hubs.start({ ...onSqlite(), analytics: { cacheSeconds: 0 } }, { clock });
    await scenario(t, clock);
    await t.hub.services.analytics.recorder.flush();
    const live = db(t);
    const old = new Database(':memory:');
    migrate(
      old,
      migrations.filter((m) => m.version < 16),
    );
    for (const table of ['analytics_agents', 'analytics_pairs']) {
      const rows = live.prepare(`SELECT * FROM ${table}`).all() as Array<Record<string, unknown>>;
      expect(rows.length).toBeGreaterThan(0);
      const cols = Object.keys(rows[0]!);
      const put = old.prepare(
        `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`,
      );
      for (const r of rows) put.run(r);
    }
    migrate(old, migrations);
    for (const table of ['analytics_agent_spans', 'analytics_pair_spans']) {
      const all = (d: Database.Database) => d.prepare(`SELECT * FROM ${table} ORDER BY 1, 2, 3, 4, 5`).all();
      expect(all(old).length, table).toBeGreaterThan(0);
      expect(all(old), table).toEqual(all(live));
    }
    old.close();
  });

  it('counts unread messages without the expired ones, in usage and the graph', async () => {
    const clock = new TestClock(Date.parse('2026-03-01T10:00:00.000Z'));
    t = await hubs.start({ analytics: { cacheSeconds: 0 } }, { clock });
    const a = await t.register('A');
    const b = await t.register('B');
    const send = async (body: Record<string, unknown>) =>
      expect(
        (await t!.api('POST', '/api/v1/messages', { token: a.token, body: { to: b.id, body: 'x', ...body } }))
          .status,
      ).toBe(200);
    await send({ ttl_seconds: 60 });
    await send({ ttl_seconds: 600 });
    await send({});
    const unread = async () => {
      const usage = (await t!.api('GET', '/api/v1/analytics/usage', { token: t!.adminToken })).body;
      const graph = (await t!.api('GET', '/api/v1/graph', { token: t!.adminToken })).body;
      return [
        usage.agents.find((x: any) => x.agent_id === b.id).unread,
        graph.nodes.find((x: any) => x.agent_id === b.id).backlog,
      ];
    };
    expect(await unread()).toEqual([3, 3]);
    clock.ms += 61_000; // the first has expired
    expect(await unread()).toEqual([2, 2]);
    clock.ms += 600_000; // the second too
    expect(await unread()).toEqual([1, 1]);
    // Reading the last leaves none; the expired ones are not counted again.
    const inbox = await t.api('GET', '/api/v1/messages', { token: b.token });
    expect(inbox.status, JSON.stringify(inbox.body)).toBe(200);
    expect(await unread()).toEqual([0, 0]);
  });
});
