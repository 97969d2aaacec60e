/**
 * Schema version 17: performance and engagement rollups per day and for all time, so their figures
 * do not re-sum the per-hour latency and reply tables (which keep a row per agent, metric, bin and
 * hour: about as many as the per-minute ones) on every call.
 *
 * - `analytics_latency_spans`: per span (60 = hour, 1440 = day, 0 = all time), scope (`*` = every
 *   project, `p:<project>`), bucket start minute (0 for all time), metric, agent (`*` = every agent)
 *   and histogram bin: count and sum. Rows per agent are kept per day and all time in project
 *   scopes only; rows for every agent per hour, day and all time in both scopes.
 * - `analytics_reply_spans`: per span (1440, 0), project scope, bucket and recipient: the reply
 *   counts (what engagement sums per recipient).
 * - `analytics_active_seen`: per span (60, 1440, 0), scope (`*`, `p:<project>`) and bucket, each
 *   agent that sent there; `analytics_active_counts`: how many (active agents per bucket).
 * All are derived data, written with the rollups they summarise (same transaction) and filled here
 * from the hour tables of migration 013 and from `analytics_agents`, which hold the same facts.
 */
import type { Migration } from '../migrations.js';

const day = '(minute / 1440) * 1440';

/** Latency span rows from `analytics_latency_hours`. */
function latency(span: 0 | 60 | 1440, scoped: boolean, perAgent: boolean): string {
  const bucket = span === 0 ? '0' : span === 60 ? 'minute' : day;
  const scope = scoped ? `'p:' || project` : `'*'`;
  const agent = perAgent ? 'agent_id' : `'*'`;
  return `
    INSERT INTO analytics_latency_spans (span, scope, minute, metric, agent_id, bin, count, sum_ms)
      SELECT ${span}, ${scope}, ${bucket}, metric, ${agent}, bin, SUM(count), SUM(sum_ms) FROM analytics_latency_hours
      GROUP BY ${scoped ? 'project, ' : ''}${bucket === '0' ? '' : `${bucket}, `}metric, ${perAgent ? 'agent_id, ' : ''}bin;`;
}

function replies(span: 0 | 1440): string {
  const bucket = span === 0 ? '0' : day;
  return `
    INSERT INTO analytics_reply_spans (span, scope, minute, to_agent, requests, answered, ack_required, acked)
      SELECT ${span}, 'p:' || project, ${bucket}, to_agent, SUM(requests), SUM(answered), SUM(ack_required), SUM(acked)
      FROM analytics_replies_hours GROUP BY project, ${bucket === '0' ? '' : `${bucket}, `}to_agent;`;
}

/** Active senders from `analytics_agents`, then their counts. */
function active(span: 0 | 60 | 1440, scoped: boolean): string {
  const bucket = span === 0 ? '0' : `(minute / ${span}) * ${span}`;
  const scope = scoped ? `'p:' || project` : `'*'`;
  return `
    INSERT OR IGNORE INTO analytics_active_seen (span, scope, minute, agent_id)
      SELECT DISTINCT ${span}, ${scope}, ${bucket}, agent_id FROM analytics_agents WHERE sent > 0;`;
}

export const migration: Migration | null = {
  version: 17,
  name: 'analytics performance and engagement per day and all time: latency histograms and reply counts',
  sql: `
    CREATE TABLE analytics_latency_spans (
      span INTEGER NOT NULL,
      scope TEXT NOT NULL,
      minute INTEGER NOT NULL,
      metric TEXT NOT NULL,
      agent_id TEXT NOT NULL,
      bin INTEGER NOT NULL,
      count INTEGER NOT NULL DEFAULT 0,
      sum_ms REAL NOT NULL DEFAULT 0,
      PRIMARY KEY (span, scope, minute, metric, agent_id, bin)
    ) WITHOUT ROWID;
    CREATE TABLE analytics_reply_spans (
      span INTEGER NOT NULL,
      scope TEXT NOT NULL,
      minute INTEGER NOT NULL,
      to_agent TEXT NOT NULL,
      requests INTEGER NOT NULL DEFAULT 0,
      answered INTEGER NOT NULL DEFAULT 0,
      ack_required INTEGER NOT NULL DEFAULT 0,
      acked INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (span, scope, minute, to_agent)
    ) WITHOUT ROWID;
    ${([60, 1440, 0] as const).map((s) => latency(s, false, false) + latency(s, true, false)).join('\n')}
    ${([1440, 0] as const).map((s) => latency(s, true, true)).join('\n')}
    ${([1440, 0] as const).map((s) => replies(s)).join('\n')}
    CREATE TABLE analytics_active_seen (
      span INTEGER NOT NULL,
      scope TEXT NOT NULL,
      minute INTEGER NOT NULL,
      agent_id TEXT NOT NULL,
      PRIMARY KEY (span, scope, minute, agent_id)
    ) WITHOUT ROWID;
    CREATE TABLE analytics_active_counts (
      span INTEGER NOT NULL,
      scope TEXT NOT NULL,
      minute INTEGER NOT NULL,
      agents INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (span, scope, minute)
    ) WITHOUT ROWID;
    ${([60, 1440, 0] as const).map((s) => active(s, false) + active(s, true)).join('\n')}
    INSERT INTO analytics_active_counts (span, scope, minute, agents)
      SELECT span, scope, minute, COUNT(*) FROM analytics_active_seen GROUP BY span, scope, minute;
  `,
};
