/**
 * Schema version 16: agent and pair totals per hour, per day and for all time, kept with the
 * per-minute agent and pair rollups (derived data, see analytics-totals.ts), so usage, the
 * communication graph and insights read a few rows per agent or pair instead of every minute's.
 * Filled here from the minute rollups already stored. Also indexes messages by expiry, so unread
 * counts can subtract expired messages without looking up every unread delivery's message.
 */
import type { Migration } from '../migrations.js';

const AGENT_SUMS = 'sent, received, tasks_claimed, tasks_completed, tasks_failed, tokens, cost_usd';
const PAIR_SUMS = 'messages, requests, responses, acks, latency_ms_sum, latency_count';
const sums = (cols: string) =>
  cols
    .split(', ')
    .map((c) => `SUM(${c})`)
    .join(', ');
const bucket = (span: number) => (span === 0 ? '0' : `(minute / ${span}) * ${span}`);

const fill = (span: number) => `
    INSERT INTO analytics_agent_spans (span, bucket, agent_id, project, ${AGENT_SUMS})
      SELECT ${span}, ${bucket(span)} AS b, agent_id, project, ${sums(AGENT_SUMS)} FROM analytics_agents
      GROUP BY b, agent_id, project;
    INSERT INTO analytics_pair_spans (span, bucket, from_agent, to_agent, project, ${PAIR_SUMS})
      SELECT ${span}, ${bucket(span)} AS b, from_agent, to_agent, project, ${sums(PAIR_SUMS)} FROM analytics_pairs
      GROUP BY b, from_agent, to_agent, project;`;

export const migration: Migration | null = {
  version: 16,
  name: 'analytics agent and pair totals per hour, day and all time; messages by expiry',
  sql: `
    CREATE TABLE analytics_agent_spans (
      span INTEGER NOT NULL,
      bucket INTEGER NOT NULL,
      agent_id TEXT NOT NULL,
      project TEXT NOT NULL,
      sent INTEGER NOT NULL DEFAULT 0,
      received INTEGER NOT NULL DEFAULT 0,
      tasks_claimed INTEGER NOT NULL DEFAULT 0,
      tasks_completed INTEGER NOT NULL DEFAULT 0,
      tasks_failed INTEGER NOT NULL DEFAULT 0,
      tokens INTEGER NOT NULL DEFAULT 0,
      cost_usd REAL NOT NULL DEFAULT 0,
      PRIMARY KEY (span, bucket, agent_id, project)
    ) WITHOUT ROWID;
    CREATE TABLE analytics_pair_spans (
      span INTEGER NOT NULL,
      bucket INTEGER NOT NULL,
      from_agent TEXT NOT NULL,
      to_agent TEXT NOT NULL,
      project TEXT NOT NULL,
      messages INTEGER NOT NULL DEFAULT 0,
      requests INTEGER NOT NULL DEFAULT 0,
      responses INTEGER NOT NULL DEFAULT 0,
      acks INTEGER NOT NULL DEFAULT 0,
      latency_ms_sum REAL NOT NULL DEFAULT 0,
      latency_count INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (span, bucket, from_agent, to_agent, project)
    ) WITHOUT ROWID;
    ${[60, 1440, 0].map(fill).join('\n')}
    -- Unread counts subtract the unread deliveries of expired messages, found through this index.
    CREATE INDEX messages_expiry ON messages(expires_at) WHERE expires_at IS NOT NULL;
  `,
};
