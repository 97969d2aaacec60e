/** PostgreSQL schema version 4 (analytics). Once shipped, never edit it — add a new version. */
import type { PgMigration } from '../migrations.js';

export const migration: PgMigration | null = null;
