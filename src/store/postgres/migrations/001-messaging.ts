/**
 * PostgreSQL schema version 1 (messaging): agents and their capabilities, the message log, the
 * per-recipient deliveries (inboxes) with one head counter per inbox, thread participants, topic
 * subscriptions, per-agent delivery settings. The same tables as SQLite's v1, v2, v11, v16 and v18,
 * with three differences a cluster needs:
 *
 * - `deliveries.cursor` is a position in ONE recipient's inbox (primary key `(agent_id, cursor)`),
 *   handed out by `inbox_heads` under a row lock, so each inbox grows in commit order (see
 *   messages.ts). SQLite numbers all deliveries in one sequence; only per-inbox order is promised.
 * - `messages.seq` stays a global `bigserial` (thread order, newest-first search, `isParticipant`,
 *   analytics scans); it is not commit-ordered and nothing reads "everything after a seq" live.
 * - Search: `search_words` holds the subject's and body's words as SQLite's FTS5 tokenizer cuts them
 *   and an entry per participant (computed in search.ts), GIN-indexed; no query syntax exists.
 *
 * Once shipped, never edit it — add a new version.
 */
import type { PgMigration } from '../migrations.js';

export const migration: PgMigration | null = {
  version: 1,
  name: 'agents, messages, per-inbox deliveries, threads, search words, topics, delivery settings',
  sql: `
    CREATE TABLE agents (
      id text PRIMARY KEY,
      name text NOT NULL,
      session_id text,
      project text NOT NULL,
      role text,
      description text,
      capabilities text NOT NULL,
      metadata text NOT NULL,
      token_hash text NOT NULL UNIQUE,
      declared_status text NOT NULL,
      created_at timestamptz NOT NULL,
      last_seen_at timestamptz NOT NULL,
      retired_at timestamptz
    );
    CREATE INDEX agents_project ON agents (project) WHERE retired_at IS NULL;
    CREATE INDEX agents_created ON agents (created_at, id COLLATE "C");
    CREATE INDEX agents_idle ON agents (last_seen_at) WHERE retired_at IS NULL;
    CREATE TABLE agent_capabilities (
      agent_id text NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
      capability text NOT NULL,
      PRIMARY KEY (capability, agent_id)
    );
    CREATE INDEX agent_capabilities_agent ON agent_capabilities (agent_id);

    CREATE TABLE messages (
      seq bigserial PRIMARY KEY,
      id text NOT NULL UNIQUE,
      from_agent text NOT NULL,
      to_spec text NOT NULL,
      type text NOT NULL,
      subject text,
      body text NOT NULL,
      thread_id text NOT NULL,
      reply_to text,
      correlation_id text,
      importance text NOT NULL,
      ack_required boolean NOT NULL,
      project text NOT NULL,
      created_at timestamptz NOT NULL,
      expires_at timestamptz,
      idempotency_key text,
      recipients text NOT NULL,
      sent_by_admin boolean NOT NULL DEFAULT false,
      search_words text[] NOT NULL
    );
    -- Exact across nodes: two sends with one key race on this index; the loser finds the winner.
    CREATE UNIQUE INDEX messages_idempotency ON messages (from_agent, idempotency_key)
      WHERE idempotency_key IS NOT NULL;
    CREATE INDEX messages_thread ON messages (thread_id, seq);
    CREATE INDEX messages_from ON messages (from_agent, seq);
    CREATE INDEX messages_correlation ON messages (correlation_id) WHERE correlation_id IS NOT NULL;
    CREATE INDEX messages_expiry ON messages (expires_at) WHERE expires_at IS NOT NULL;
    CREATE INDEX messages_search ON messages USING gin (search_words);

    -- One row per inbox: the newest cursor handed out. Locked by each send to that inbox.
    CREATE TABLE inbox_heads (
      agent_id text PRIMARY KEY,
      head bigint NOT NULL
    );
    CREATE TABLE deliveries (
      agent_id text NOT NULL,
      cursor bigint NOT NULL,
      message_seq bigint NOT NULL REFERENCES messages (seq),
      read_at timestamptz,
      acked_at timestamptz,
      PRIMARY KEY (agent_id, cursor)
    );
    CREATE UNIQUE INDEX deliveries_message ON deliveries (message_seq, agent_id);
    CREATE INDEX deliveries_unread ON deliveries (agent_id, cursor) WHERE read_at IS NULL;

    CREATE TABLE thread_participants (
      thread_id text NOT NULL,
      agent_id text NOT NULL,
      PRIMARY KEY (thread_id, agent_id)
    );

    CREATE TABLE topic_subscriptions (
      topic text NOT NULL,
      agent_id text NOT NULL,
      created_at timestamptz NOT NULL,
      PRIMARY KEY (topic, agent_id)
    );
    CREATE INDEX topic_subscriptions_agent ON topic_subscriptions (agent_id);

    CREATE TABLE delivery_settings (
      agent_id text PRIMARY KEY,
      settings text NOT NULL,
      updated_at timestamptz NOT NULL,
      updated_by text
    );
  `,
};
