/** Context entry and history rows as both stores read them, and the records they become. */
import type { ContextAddress, ContextChange, ContextEntry, ContextScope } from '../context.js';

export interface EntryRow {
  scope: ContextScope;
  scope_id: string;
  key: string;
  value: string;
  version: number;
  created_at: string;
  updated_at: string;
  updated_by: string | null;
  expires_at: string | null;
}

export interface HistoryRow {
  scope: ContextScope;
  scope_id: string;
  key: string;
  version: number;
  change: ContextChange['change'];
  value: string | null;
  changed_by: string | null;
  changed_at: string;
  expires_at: string | null;
}

export const toEntry = (r: EntryRow): ContextEntry => ({
  scope: r.scope,
  scopeId: r.scope_id,
  key: r.key,
  value: JSON.parse(r.value),
  version: r.version,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  updatedBy: r.updated_by,
  expiresAt: r.expires_at,
});

export const toChange = (r: HistoryRow): ContextChange => ({
  scope: r.scope,
  scopeId: r.scope_id,
  key: r.key,
  version: r.version,
  change: r.change,
  value: r.value === null ? null : JSON.parse(r.value),
  changedBy: r.changed_by,
  changedAt: r.changed_at,
  expiresAt: r.expires_at,
});

/** The history record of deleting the entry at `a`, whose stored version was `version`. */
export const deletion = (
  a: ContextAddress,
  version: number,
  by: string | null,
  at: string,
): ContextChange => ({
  scope: a.scope,
  scopeId: a.scopeId,
  key: a.key,
  version: version + 1,
  change: 'delete',
  value: null,
  changedBy: by,
  changedAt: at,
  expiresAt: null,
});

/** The history record of the sweep removing the expired entry at `a` (`expiresAt` null: it expired `now`). */
export const expiry = (
  a: ContextAddress,
  version: number,
  expiresAt: string | null,
  now: string,
): ContextChange => ({
  ...a,
  version: version + 1,
  change: 'expire',
  value: null,
  changedBy: null,
  changedAt: expiresAt ?? now,
  expiresAt,
});
