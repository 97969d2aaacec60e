/**
 * PostgreSQL schema version 8. Once shipped, never edit it — add a new version.
 *
 * The index `messages_from` (from_agent, seq) goes, as in SQLite's version 25: no query reads messages
 * by sender alone (the idempotency look-up has its own unique index, and every other filter on the
 * sender comes with a thread id or a sequence number), yet every send wrote it.
 */
import type { PgMigration } from '../migrations.js';

export const migration: PgMigration | null = {
  version: 8,
  name: 'messages: no index by sender alone (no query used it; every send wrote it)',
  sql: `DROP INDEX IF EXISTS messages_from;`,
};
