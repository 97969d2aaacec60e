/**
 * Schema version 15: conversation history per hour, per day and for all time, kept with the thread
 * rollups (derived data, see analytics-history.ts), so `analytics_history` reads a few rows per
 * bucket instead of every per-minute thread row. Filled here from the thread rollups already stored.
 */
import type { Migration } from '../migrations.js';

/** Rows of analytics_history_seen for one span (0: all time) and scope, from analytics_threads. */
function seen(span: number, scoped: boolean): string {
  const bucket = span === 0 ? '0' : `(minute / ${span}) * ${span}`;
  const scope = scoped ? `'p:' || project` : `'*'`;
  return `
    INSERT INTO analytics_history_seen (span, scope, kind, bucket, member, sent)
      SELECT ${span}, ${scope}, 't', ${bucket}, thread_id, SUM(sent) FROM analytics_threads
      GROUP BY ${scoped ? 'project, ' : ''}${span === 0 ? '' : `${bucket}, `}thread_id;
    INSERT INTO analytics_history_seen (span, scope, kind, bucket, member, sent)
      SELECT DISTINCT ${span}, ${scope}, 'a', ${bucket}, agent_id, 0 FROM analytics_threads;`;
}

function types(span: number, scoped: boolean): string {
  const bucket = `(minute / ${span}) * ${span}`;
  const scope = scoped ? `'p:' || project` : `'*'`;
  return `
    INSERT INTO analytics_history_types (span, scope, bucket, type, messages)
      SELECT ${span}, ${scope}, ${bucket}, type, SUM(sent) FROM analytics_threads WHERE sent > 0
      GROUP BY ${scoped ? 'project, ' : ''}${bucket}, type;`;
}

export const migration: Migration | null = {
  version: 15,
  name: 'analytics history per hour, day and all time: threads and participants seen, messages by type',
  sql: `
    CREATE TABLE analytics_history_seen (
      span INTEGER NOT NULL,
      scope TEXT NOT NULL,
      kind TEXT NOT NULL,
      bucket INTEGER NOT NULL,
      member TEXT NOT NULL,
      sent INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (span, scope, kind, bucket, member)
    ) WITHOUT ROWID;
    CREATE TABLE analytics_history_types (
      span INTEGER NOT NULL,
      scope TEXT NOT NULL,
      bucket INTEGER NOT NULL,
      type TEXT NOT NULL,
      messages INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (span, scope, bucket, type)
    ) WITHOUT ROWID;
    CREATE INDEX analytics_threads_thread ON analytics_threads(thread_id, minute);
    ${[0, 60, 1440].map((s) => seen(s, false) + seen(s, true)).join('\n')}
    ${[60, 1440].map((s) => types(s, false) + types(s, true)).join('\n')}
  `,
};
