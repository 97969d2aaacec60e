/**
 * PostgreSQL schema version 4 (analytics). Once shipped, never edit it — add a new version.
 *
 * The per-minute rollups of SQLite's migrations 012 and 013, with the same tables, columns and keys
 * (derived data: kept up to date from events by every node, rebuilt from the log by
 * `analytics_rebuild`). Counters are only ever added to in SQL (`ON CONFLICT … DO UPDATE SET n = n +
 * excluded.n`), so several nodes writing rollups into the same rows at once add up exactly.
 *
 * Each rollup counted per minute also has `_hours` and `_days` copies (same columns and keys,
 * `minute` the bucket's first minute), written with it in the same transaction from the same rows,
 * so a range reads whole days and hours from the copies and only its edge minutes from the minute
 * table (src/store/minute-pieces.ts). Distinct counts stay exact that way too: a thread, agent or
 * sender is in a day's rows exactly when it is in the rows of one of its minutes. (SQLite keeps
 * purpose-built summaries instead, migrations 015–017; the figures are the same.)
 * Text keys are `COLLATE "C"`, so ORDER BY and MAX() sort bytewise as SQLite does.
 */
import type { PgMigration } from '../migrations.js';

const C = 'text COLLATE "C" NOT NULL';

/** The rollups kept per minute, hour and day. */
export const ROLLUPS = [
  'analytics_pairs',
  'analytics_agents',
  'analytics_threads',
  'analytics_calls',
  'analytics_latency',
  'analytics_replies',
] as const;

export const migration: PgMigration | null = {
  version: 4,
  name: 'analytics rollups per minute, hour and day: pairs, agents, threads, calls, latency, replies; instance usage',
  sql: `
    CREATE TABLE analytics_pairs (
      minute integer NOT NULL,
      project ${C},
      from_agent ${C},
      to_agent ${C},
      messages bigint NOT NULL DEFAULT 0,
      requests bigint NOT NULL DEFAULT 0,
      responses bigint NOT NULL DEFAULT 0,
      acks bigint NOT NULL DEFAULT 0,
      latency_ms_sum double precision NOT NULL DEFAULT 0,
      latency_count bigint NOT NULL DEFAULT 0,
      PRIMARY KEY (minute, from_agent, to_agent)
    );
    CREATE INDEX analytics_pairs_project ON analytics_pairs (project, minute);

    CREATE TABLE analytics_agents (
      minute integer NOT NULL,
      agent_id ${C},
      project ${C},
      sent bigint NOT NULL DEFAULT 0,
      received bigint NOT NULL DEFAULT 0,
      tasks_claimed bigint NOT NULL DEFAULT 0,
      tasks_completed bigint NOT NULL DEFAULT 0,
      tasks_failed bigint NOT NULL DEFAULT 0,
      tokens bigint NOT NULL DEFAULT 0,
      cost_usd double precision NOT NULL DEFAULT 0,
      PRIMARY KEY (minute, agent_id)
    );
    CREATE INDEX analytics_agents_project ON analytics_agents (project, minute);

    CREATE TABLE analytics_threads (
      minute integer NOT NULL,
      thread_id ${C},
      agent_id ${C},
      type ${C},
      project ${C},
      sent bigint NOT NULL DEFAULT 0,
      received bigint NOT NULL DEFAULT 0,
      PRIMARY KEY (minute, thread_id, agent_id, type)
    );
    CREATE INDEX analytics_threads_project ON analytics_threads (project, minute);
    CREATE INDEX analytics_threads_thread ON analytics_threads (thread_id, minute);

    CREATE TABLE analytics_calls (
      minute integer NOT NULL,
      kind ${C},
      name ${C},
      project ${C},
      bin integer NOT NULL,
      calls bigint NOT NULL DEFAULT 0,
      errors bigint NOT NULL DEFAULT 0,
      latency_ms_sum double precision NOT NULL DEFAULT 0,
      PRIMARY KEY (minute, kind, name, project, bin)
    );
    CREATE INDEX analytics_calls_project ON analytics_calls (project, minute);

    CREATE TABLE analytics_instance_usage (
      instance_id ${C} PRIMARY KEY,
      tokens bigint NOT NULL,
      cost_usd double precision NOT NULL
    );

    CREATE TABLE analytics_latency (
      minute integer NOT NULL,
      project ${C},
      metric ${C},
      agent_id ${C},
      bin integer NOT NULL,
      count bigint NOT NULL DEFAULT 0,
      sum_ms double precision NOT NULL DEFAULT 0,
      PRIMARY KEY (project, minute, metric, agent_id, bin)
    );
    CREATE INDEX analytics_latency_minute ON analytics_latency (minute);

    CREATE TABLE analytics_replies (
      minute integer NOT NULL,
      project ${C},
      from_agent ${C},
      to_agent ${C},
      requests bigint NOT NULL DEFAULT 0,
      answered bigint NOT NULL DEFAULT 0,
      ack_required bigint NOT NULL DEFAULT 0,
      acked bigint NOT NULL DEFAULT 0,
      PRIMARY KEY (project, minute, from_agent, to_agent)
    );
    CREATE INDEX analytics_replies_minute ON analytics_replies (minute);

    ${ROLLUPS.map(
      (t) => `
    CREATE TABLE ${t}_hours (LIKE ${t} INCLUDING ALL);
    CREATE TABLE ${t}_days (LIKE ${t} INCLUDING ALL);`,
    ).join('')}

    CREATE TABLE analytics_thread_starts (
      thread_id ${C} PRIMARY KEY,
      starter ${C},
      started_ms bigint NOT NULL
    );

    CREATE TABLE analytics_answered (
      request_id ${C},
      agent_id ${C},
      PRIMARY KEY (request_id, agent_id)
    );
  `,
};
