/**
 * PerfSpans: live deltas are written row by row, a rebuild's large batches merged per span row first;
 * both must store the same rows. And `split` cuts ranges into whole days, hours and edge minutes.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { LatencyRollup, ReplyRollup } from '../analytics.js';
import { PerfSpans, split } from './analytics-perf-spans.js';
import { migrations } from './migrations.js';
import { migrate } from './open.js';

const DAY = Date.parse('2026-03-01T00:00:00Z') / 60_000;

function rows(n: number): { latency: LatencyRollup[]; replies: ReplyRollup[] } {
  const latency: LatencyRollup[] = [];
  const replies: ReplyRollup[] = [];
  for (let i = 0; i < n; i++) {
    // Minutes on both sides of hour and day boundaries, repeated keys, two projects.
    const minute = DAY + ((i * 37) % 2900) - 30;
    const project = i % 3 === 0 ? 'other' : 'default';
    latency.push({
      minute,
      project,
      metric: ['delivery', 'ack', 'response'][i % 3]!,
      agentId: `a${i % 5}`,
      bin: i % 7,
      count: 1 + (i % 2),
      sumMs: (i % 11) * 0.75,
    });
    replies.push({
      minute,
      project,
      from: `a${i % 4}`,
      to: `a${(i + 1) % 5}`,
      requests: 1,
      answered: i % 2,
      ackRequired: 1,
      acked: 0,
    });
  }
  return { latency, replies };
}

function open() {
  const db = new Database(':memory:');
  migrate(db, migrations);
  return { db, spans: new PerfSpans(db) };
}

const dump = (db: Database.Database, table: string) =>
  db.prepare(`SELECT * FROM ${table} ORDER BY 1, 2, 3, 4, 5`).all();

describe('PerfSpans', () => {
  it('stores the same rows from one large batch as from many small deltas', () => {
    const { latency, replies } = rows(500);
    const one = open();
    one.spans.record(latency, replies);
    const many = open();
    for (let i = 0; i < latency.length; i += 10)
      many.spans.record(latency.slice(i, i + 10), replies.slice(i, i + 10));
    for (const table of ['analytics_latency_spans', 'analytics_reply_spans']) {
      expect(dump(one.db, table).length, table).toBeGreaterThan(30);
      expect(dump(many.db, table), table).toEqual(dump(one.db, table));
    }
    // Every agent's all-time counts add up to what was recorded.
    const total = one.db
      .prepare(
        `SELECT SUM(count) AS n FROM analytics_latency_spans WHERE span = 0 AND scope = '*' AND agent_id = '*'`,
      )
      .get() as { n: number };
    expect(total.n).toBe(latency.reduce((s, r) => s + r.count, 0));
  });

  it('splits a range into whole days, whole hours and edge minutes', () => {
    expect(split(undefined, undefined, [0, 1440, 60, 1])).toEqual([{ span: 0, from: -1e15, to: 1e15 }]);
    expect(split(DAY - 61, DAY + 1440 + 90, [0, 1440, 60, 1])).toEqual([
      { span: 1, from: DAY - 61, to: DAY - 60 },
      { span: 60, from: DAY - 60, to: DAY },
      { span: 1440, from: DAY, to: DAY + 1440 },
      { span: 60, from: DAY + 1440, to: DAY + 1500 },
      { span: 1, from: DAY + 1500, to: DAY + 1530 },
    ]);
    expect(split(DAY + 5, DAY + 20, [60, 1])).toEqual([{ span: 1, from: DAY + 5, to: DAY + 20 }]);
    expect(split(DAY + 20, DAY + 5, [1440, 60, 1])).toEqual([]);
  });
});
