/**
 * Schema version 25: the index `messages_from` (from_agent, seq) goes. No query reads messages by
 * sender alone: the idempotency look-up has its own unique index (from_agent, idempotency_key), and
 * every other filter on the sender comes with a thread id or a sequence number, which lead. Yet every
 * send wrote it: about 1.3 of the ~10 WAL pages a one-message commit writes (bench/README.md,
 * session 9). The PostgreSQL schema drops it too (its version 8).
 * Once shipped, never edit it — add a new version.
 */
import type { Migration } from '../migrations.js';

export const migration: Migration | null = {
  version: 25,
  name: 'messages: no index by sender alone (no query used it; every send wrote it)',
  sql: `DROP INDEX IF EXISTS messages_from;`,
};
