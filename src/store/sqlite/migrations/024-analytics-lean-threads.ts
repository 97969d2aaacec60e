/**
 * Schema version 24: fewer rollup rows per new thread (issue 14, the send path). A message that
 * started a thread wrote about 13 b-tree entries of rollups; two kinds of them are dropped here:
 * - the thread rows of `analytics_history_seen` per day (span 1440, kind 't'): a day's distinct
 *   threads are now counted from its hours' rows (see analytics-history.ts), which say the same;
 * - the index `analytics_threads_project` (project, minute): its readers have a minute range (the
 *   primary key's first column) or scan anyway (queries limited to some agents).
 * Derived data only: nothing is rebuilt, what stays says what it said.
 * Once shipped, never edit it — add a new version.
 */
import type { Migration } from '../migrations.js';

export const migration: Migration | null = {
  version: 24,
  name: 'analytics: no per-day thread rows in the history rollups, no project index on thread rollups',
  sql: `
    DELETE FROM analytics_history_seen WHERE span = 1440 AND kind = 't';
    DROP INDEX analytics_threads_project;
  `,
};
