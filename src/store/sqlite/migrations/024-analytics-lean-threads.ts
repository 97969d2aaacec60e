/**
 * Schema version 24: fewer rollup rows per new thread (issue 14, the send path). A message that
 * started a thread wrote about 13 b-tree entries of rollups; two kinds of them are dropped here:
 * - the thread rows of `analytics_history_seen` per day (span 1440, kind 't'): a day's distinct
 *   threads are counted in `analytics_history_day_threads` instead (filled here from those rows;
 *   see analytics-history.ts), and whole days of a range read their threads from the hours' rows;
 * - the index `analytics_threads_project` (project, minute): its readers have a minute range (the
 *   primary key's first column) or scan anyway (queries limited to some agents).
 * Derived data only: nothing is rebuilt from the log, the answers stay what they were.
 * Once shipped, never edit it — add a new version.
 */
import type { Migration } from '../migrations.js';

export const migration: Migration | null = {
  version: 24,
  name: 'analytics: threads per day counted, not listed, in the history rollups; no project index on thread rollups',
  sql: `
    CREATE TABLE analytics_history_day_threads (
      scope TEXT NOT NULL,
      bucket INTEGER NOT NULL,
      threads INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (scope, bucket)
    ) WITHOUT ROWID;
    INSERT INTO analytics_history_day_threads (scope, bucket, threads)
      SELECT scope, bucket, COUNT(*) FROM analytics_history_seen WHERE span = 1440 AND kind = 't'
      GROUP BY scope, bucket;
    DELETE FROM analytics_history_seen WHERE span = 1440 AND kind = 't';
    DROP INDEX analytics_threads_project;
  `,
};
