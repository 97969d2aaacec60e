/**
 * analytics_history at hour and day granularity, read from the per-bucket history rollups (schema
 * version 15): threads, participants and messages per bucket must be exact across hour and day
 * boundaries, with ranges that cut buckets in two, per project, after a rebuild, and equal to what
 * the per-minute thread rollups say (the same query limited to every agent takes that path).
 */
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate } from '../src/store/sqlite/open.js';
import { migrations } from '../src/store/sqlite/migrations.js';
import { db } from './hostile-support.js';
import { TestClock } from './helpers/clock.js';
import { hubPerTest, type TestHub } from './helpers/hub.js';
import { clockedSend, fiveAgents } from './helpers/traffic.js';

let t: TestHub | undefined;
const hubs = hubPerTest();

/**
 * The schema-upgrade test fills SQLite's history tables from its thread rows: its hub stays on a
 * SQLite file whatever SWITCHBOARD_TEST_STORE says (PostgreSQL has no such tables to fill).
 */
const onSqlite = () => {
  const home = mkdtempSync(join(tmpdir(), 'switchboard-test-'));
  return { home, db: join(home, 'switchboard.db') };
};

/**
 * Day 1 22:58 A→B request (thread T1), 22:59 B→A response; 23:01 A→C (T2), 23:02 C→A reply;
 * 23:59 B→C (T3); day 2 00:00 C→B reply (T3) and A→B in T1; 00:30 D→E (T4, project other);
 * 00:45 E→A (T5, across projects).
 */
async function scenario(h: TestHub, clock: TestClock) {
  const { a, b, c, d, e } = await fiveAgents(h);
  const send = clockedSend(h, clock);
  const t1 = await send('22:58', 1, a, { to: b.id, type: 'request' });
  await send('22:59', 1, b, { to: a.id, type: 'response', reply_to: t1.message_id });
  const t2 = await send('23:01', 1, a, { to: c.id });
  await send('23:02', 1, c, { to: a.id, reply_to: t2.message_id });
  const t3 = await send('23:59', 1, b, { to: c.id, type: 'note' });
  await send('00:00', 2, c, { to: b.id, reply_to: t3.message_id });
  await send('00:00', 2, a, { to: b.id, thread_id: t1.thread_id });
  await send('00:30', 2, d, { to: e.id });
  await send('00:45', 2, e, { to: a.id });
  return { a, b, c, d, e };
}

const day1 = (hhmm: string) => `2026-03-01T${hhmm}:00.000Z`;
const day2 = (hhmm: string) => `2026-03-02T${hhmm}:00.000Z`;
const counts = (series: any[]) =>
  series.map((s) => [s.bucket_start, s.messages, s.threads, s.participants] as const);

describe('analytics_history per hour and day', () => {
  it('counts threads, participants and messages exactly per bucket, across hour and day boundaries', async () => {
    const clock = new TestClock(Date.parse(day1('22:00')));
    t = await hubs.start({ analytics: { cacheSeconds: 0 } }, { clock });
    await scenario(t, clock);
    const admin = { token: t.adminToken };
    const history = async (query: string) => {
      const r = await t!.api('GET', `/api/v1/analytics/history?${query}`, admin);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body;
    };

    const hour = await history('bucket=hour');
    expect(counts(hour.series)).toEqual([
      [day1('22:00'), 2, 1, 2],
      [day1('23:00'), 3, 2, 3],
      [day2('00:00'), 4, 4, 5],
    ]);
    expect(hour.totals).toEqual({
      messages: 9,
      threads: 5,
      participants: 5,
      by_type: { message: 6, note: 1, request: 1, response: 1 },
    });
    expect(hour.series[0].by_type).toEqual({ request: 1, response: 1 });
    const day = await history('bucket=day');
    expect(counts(day.series)).toEqual([
      [day1('00:00'), 5, 3, 3],
      [day2('00:00'), 4, 4, 5],
    ]);
    // T1 spans the hour and the day boundary: 3 messages between A and B, from 22:58 to 00:00.
    expect(day.threads[0]).toMatchObject({
      messages: 3,
      participants: 2,
      first_minute: day1('22:58'),
      last_minute: day2('00:00'),
    });
    expect(day.threads.map((x: any) => x.messages)).toEqual([3, 2, 2, 1, 1]);

    // One project: E→A counts for A (default) as a participant, but E's message is E's project's.
    const own = await history('bucket=hour&project=default');
    expect(counts(own.series)).toEqual([
      [day1('22:00'), 2, 1, 2],
      [day1('23:00'), 3, 2, 3],
      [day2('00:00'), 2, 3, 3],
    ]);
    expect(own.totals).toMatchObject({ messages: 7, threads: 4, participants: 3 });

    // A range that cuts the first and the last hour: only the minutes inside count.
    const cut = await history(`bucket=hour&since=${day1('22:59')}&until=${day2('00:01')}`);
    expect(counts(cut.series)).toEqual([
      [day1('22:00'), 1, 1, 2],
      [day1('23:00'), 3, 2, 3],
      [day2('00:00'), 2, 2, 3],
    ]);
    expect(cut.totals).toMatchObject({ messages: 6, threads: 3, participants: 3 });
    expect(cut.threads[0]).toMatchObject({
      messages: 2,
      first_minute: day1('22:59'),
      last_minute: day2('00:00'),
    });
    const cutDay = await history(`bucket=day&since=${day1('23:30')}&until=${day2('00:40')}`);
    expect(counts(cutDay.series)).toEqual([
      [day1('00:00'), 1, 1, 2],
      [day2('00:00'), 3, 3, 5],
    ]);

    // The same queries limited to every agent (capability all) read the per-minute rollups: equal.
    const ranges = [
      '',
      `&since=${day1('22:59')}&until=${day2('00:01')}`,
      `&since=${day1('23:00')}`,
      `&until=${day2('00:00')}`,
      `&since=${day1('23:30')}&until=${day2('00:40')}`,
      `&since=${day2('00:10')}&until=${day2('00:20')}`,
    ];
    for (const bucket of ['hour', 'day'])
      for (const project of ['', '&project=default', '&project=other'])
        for (const range of ranges) {
          const q = `bucket=${bucket}${project}${range}`;
          const fast = await history(q);
          const minutes = await history(`${q}&capability=all`);
          expect({ q, ...fast, cached: undefined }).toEqual({ q, ...minutes, cached: undefined });
        }

    // A rebuild from the log writes the same history rollups.
    const rebuilt = await t.api('POST', '/api/v1/analytics/rebuild', { ...admin, body: {} });
    expect(rebuilt.status).toBe(200);
    expect(await history('bucket=hour')).toEqual(hour);
    expect(await history(`bucket=hour&since=${day1('22:59')}&until=${day2('00:01')}`)).toEqual(cut);
  });

  it('fills the history rollups from stored thread rollups when the schema is upgraded', async () => {
    const clock = new TestClock(Date.parse(day1('22:00')));
    t = await hubs.start({ ...onSqlite(), analytics: { cacheSeconds: 0 } }, { clock });
    await scenario(t, clock);
    await t.hub.services.analytics.recorder.flush();
    const live = db(t);
    const old = new Database(':memory:');
    migrate(
      old,
      migrations.filter((m) => m.version < 15),
    );
    const rows = live.prepare('SELECT * FROM analytics_threads').all() as Array<Record<string, unknown>>;
    expect(rows.length).toBeGreaterThan(0);
    const put = old.prepare(
      'INSERT INTO analytics_threads (minute, thread_id, agent_id, type, project, sent, received) VALUES (@minute, @thread_id, @agent_id, @type, @project, @sent, @received)',
    );
    for (const r of rows) put.run(r);
    migrate(old, migrations);
    // (Schema version 24 turns the day rows of threads into day counts: the same on both.)
    for (const table of [
      'analytics_history_seen',
      'analytics_history_types',
      'analytics_history_day_threads',
    ]) {
      const all = (d: Database.Database) => d.prepare(`SELECT * FROM ${table} ORDER BY 1, 2, 3`).all();
      expect(all(old), table).toEqual(all(live));
    }
    old.close();
  });
});
