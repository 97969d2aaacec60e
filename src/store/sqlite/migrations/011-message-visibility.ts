/**
 * Schema version 11: who may see which messages, answered by indexes instead of scans.
 * `thread_participants` lists the agents that sent or received a message in each thread (naming a
 * thread, reading it and its conversation context are one lookup). The search index becomes
 * contentless with a third column, `who`, holding a token per participant (sender and recipients),
 * so a search is an FTS query over the caller's own messages only (see fts.ts).
 */
import type { Migration } from '../migrations.js';

/** One participant's token in the `who` column, the same text as `participantToken` in fts.ts. */
const token = (column: string) => `'p' || lower(hex(${column}))`;

export const migration: Migration | null = {
  version: 11,
  name: 'thread participants, and a search index limited to each caller’s own messages',
  sql: `
    CREATE TABLE thread_participants (
      thread_id TEXT NOT NULL,
      agent_id TEXT NOT NULL,
      PRIMARY KEY (thread_id, agent_id)
    ) WITHOUT ROWID;
    INSERT OR IGNORE INTO thread_participants (thread_id, agent_id) SELECT thread_id, from_agent FROM messages;
    INSERT OR IGNORE INTO thread_participants (thread_id, agent_id)
      SELECT m.thread_id, d.agent_id FROM deliveries d JOIN messages m ON m.seq = d.message_seq;

    DROP TABLE messages_fts;
    CREATE VIRTUAL TABLE messages_search USING fts5(subject, body, who, content='');
    INSERT INTO messages_search (rowid, subject, body, who)
      SELECT m.seq, COALESCE(m.subject, ''), m.body,
        ${token('m.from_agent')} || COALESCE(
          (SELECT ' ' || group_concat(${token('d.agent_id')}, ' ') FROM deliveries d WHERE d.message_seq = m.seq), '')
      FROM messages m;
    UPDATE fts_progress SET indexed_seq = (SELECT COALESCE(MAX(seq), 0) FROM messages) WHERE id = 1;
  `,
};
