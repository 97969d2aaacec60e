/**
 * Schema version 12: analytics rollups per minute (derived data: kept up to date from events and
 * rebuilt from the log by `analytics_rebuild`).
 */
import type { Migration } from '../migrations.js';

export const migration: Migration | null = {
  version: 12,
  name: 'analytics rollups per minute: agent pairs, agents, threads, operation and tool calls',
  sql: `
    CREATE TABLE analytics_pairs (
      minute INTEGER NOT NULL,
      project TEXT NOT NULL,
      from_agent TEXT NOT NULL,
      to_agent TEXT NOT NULL,
      messages INTEGER NOT NULL DEFAULT 0,
      requests INTEGER NOT NULL DEFAULT 0,
      responses INTEGER NOT NULL DEFAULT 0,
      acks INTEGER NOT NULL DEFAULT 0,
      latency_ms_sum REAL NOT NULL DEFAULT 0,
      latency_count INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (minute, from_agent, to_agent)
    ) WITHOUT ROWID;
    CREATE INDEX analytics_pairs_project ON analytics_pairs(project, minute);

    CREATE TABLE analytics_agents (
      minute INTEGER NOT NULL,
      agent_id TEXT NOT NULL,
      project TEXT NOT NULL,
      sent INTEGER NOT NULL DEFAULT 0,
      received INTEGER NOT NULL DEFAULT 0,
      tasks_claimed INTEGER NOT NULL DEFAULT 0,
      tasks_completed INTEGER NOT NULL DEFAULT 0,
      tasks_failed INTEGER NOT NULL DEFAULT 0,
      tokens INTEGER NOT NULL DEFAULT 0,
      cost_usd REAL NOT NULL DEFAULT 0,
      PRIMARY KEY (minute, agent_id)
    ) WITHOUT ROWID;
    CREATE INDEX analytics_agents_project ON analytics_agents(project, minute);

    CREATE TABLE analytics_threads (
      minute INTEGER NOT NULL,
      thread_id TEXT NOT NULL,
      agent_id TEXT NOT NULL,
      type TEXT NOT NULL,
      project TEXT NOT NULL,
      sent INTEGER NOT NULL DEFAULT 0,
      received INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (minute, thread_id, agent_id, type)
    ) WITHOUT ROWID;
    CREATE INDEX analytics_threads_project ON analytics_threads(project, minute);

    CREATE TABLE analytics_calls (
      minute INTEGER NOT NULL,
      kind TEXT NOT NULL,
      name TEXT NOT NULL,
      project TEXT NOT NULL,
      bin INTEGER NOT NULL,
      calls INTEGER NOT NULL DEFAULT 0,
      errors INTEGER NOT NULL DEFAULT 0,
      latency_ms_sum REAL NOT NULL DEFAULT 0,
      PRIMARY KEY (minute, kind, name, project, bin)
    ) WITHOUT ROWID;
    CREATE INDEX analytics_calls_project ON analytics_calls(project, minute);

    CREATE TABLE analytics_instance_usage (
      instance_id TEXT PRIMARY KEY,
      tokens INTEGER NOT NULL,
      cost_usd REAL NOT NULL
    ) WITHOUT ROWID;
  `,
};
