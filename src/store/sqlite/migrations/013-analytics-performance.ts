/**
 * Schema version 13: analytics rollups for performance and engagement (derived data: kept up to date
 * from events and rebuilt from the log by `analytics_rebuild`).
 *
 * - `analytics_latency`: per minute (when the thing ended), metric, agent (the reader, acker,
 *   responder, claimer, completer, instance agent) and log-scale histogram bin: count and sum.
 * - `analytics_replies`: per minute of the original message and pair (sender → recipient): requests,
 *   requests answered (at least one response from that recipient), ack_required deliveries, and
 *   those acknowledged.
 * - `analytics_latency_hours`, `analytics_replies_hours`: the same summed per hour (`minute` is the
 *   hour's first minute), so long ranges read ~60× fewer rows; a range's partial hours at its edges
 *   are read from the minute tables.
 * - `analytics_thread_starts` and `analytics_answered`: the fold's memory (who started each thread
 *   nobody else has spoken in yet — forgotten at its first response; which requests each recipient
 *   answered already), so a thread's first response and a request's first answer count once.
 * The rollups' keys start with the project, so one project's range is one range of the key.
 */
import type { Migration } from '../migrations.js';

export const migration: Migration | null = {
  version: 13,
  name: 'analytics rollups: latency histograms per metric and agent, replies and acks per pair',
  sql: `
${['analytics_latency', 'analytics_latency_hours']
  .map(
    (t) => `
    CREATE TABLE ${t} (
      minute INTEGER NOT NULL,
      project TEXT NOT NULL,
      metric TEXT NOT NULL,
      agent_id TEXT NOT NULL,
      bin INTEGER NOT NULL,
      count INTEGER NOT NULL DEFAULT 0,
      sum_ms REAL NOT NULL DEFAULT 0,
      PRIMARY KEY (project, minute, metric, agent_id, bin)
    ) WITHOUT ROWID;`,
  )
  .join('\n')}
${['analytics_replies', 'analytics_replies_hours']
  .map(
    (t) => `
    CREATE TABLE ${t} (
      minute INTEGER NOT NULL,
      project TEXT NOT NULL,
      from_agent TEXT NOT NULL,
      to_agent TEXT NOT NULL,
      requests INTEGER NOT NULL DEFAULT 0,
      answered INTEGER NOT NULL DEFAULT 0,
      ack_required INTEGER NOT NULL DEFAULT 0,
      acked INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (project, minute, from_agent, to_agent)
    ) WITHOUT ROWID;`,
  )
  .join('\n')}

    CREATE TABLE analytics_thread_starts (
      thread_id TEXT PRIMARY KEY,
      starter TEXT NOT NULL,
      started_ms INTEGER NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE analytics_answered (
      request_id TEXT NOT NULL,
      agent_id TEXT NOT NULL,
      PRIMARY KEY (request_id, agent_id)
    ) WITHOUT ROWID;
  `,
};
