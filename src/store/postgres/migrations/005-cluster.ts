/** PostgreSQL schema version 5 (cluster). Once shipped, never edit it — add a new version. */
import type { PgMigration } from '../migrations.js';

export const migration: PgMigration | null = null;
