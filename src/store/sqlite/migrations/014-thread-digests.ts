/**
 * Schema version 14: thread digests. `thread_summaries` keeps the prose summary an agent instance
 * wrote of a thread, one per thread and view (`scope`: the agent whose view of the thread it covers,
 * or `*` for the admin's whole thread), so a summary never shows anyone more of the thread than they
 * could read. Tasks and votes may name the thread they came out of (`thread_id`).
 */
import type { Migration } from '../migrations.js';

export const migration: Migration | null = {
  version: 14,
  name: 'thread digests: prose summaries per thread and view; the thread a task or vote came out of',
  sql: `
    CREATE TABLE thread_summaries (
      thread_id TEXT NOT NULL,
      scope TEXT NOT NULL,
      summary TEXT NOT NULL,
      instance_id TEXT NOT NULL,
      written_by TEXT NOT NULL,
      requested_by TEXT,
      messages_covered INTEGER NOT NULL,
      last_message_id TEXT NOT NULL,
      created_at TEXT NOT NULL,
      PRIMARY KEY (thread_id, scope)
    ) WITHOUT ROWID;

    ALTER TABLE tasks ADD COLUMN thread_id TEXT;
    CREATE INDEX tasks_thread ON tasks(thread_id) WHERE thread_id IS NOT NULL;
    ALTER TABLE votes ADD COLUMN thread_id TEXT;
    CREATE INDEX votes_thread ON votes(thread_id) WHERE thread_id IS NOT NULL;
  `,
};
