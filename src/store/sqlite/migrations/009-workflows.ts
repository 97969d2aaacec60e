/** Schema version 9: workflows. Null until it ships; once shipped, never edit it — add a new version. */
import type { Migration } from '../migrations.js';

export const migration: Migration | null = null;
