/** Schema version 10: what an instance was launched with (to restart or resume it) and its restart count. */
import type { Migration } from '../migrations.js';

export const migration: Migration | null = {
  version: 10,
  name: 'instances: launch settings and restarts, for the restart policy and resuming after a hub restart',
  sql: `
    ALTER TABLE instances ADD COLUMN launch TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE instances ADD COLUMN restarts INTEGER NOT NULL DEFAULT 0;
  `,
};
