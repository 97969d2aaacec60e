/** Schema version 20: how an instance takes new mail (manual, idle, steer) and its delivery settings. */
import type { Migration } from '../migrations.js';

export const migration: Migration | null = {
  version: 20,
  name: 'instances: delivery (wake on mail) mode and settings',
  sql: `
    ALTER TABLE instances ADD COLUMN delivery TEXT NOT NULL DEFAULT '{"mode":"manual"}';
  `,
};
