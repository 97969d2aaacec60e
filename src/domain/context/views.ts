/** Context records as the API shows them (snake_case). */
import type { ContextChangeView, ContextEntryView } from '../../core/wire/index.js';
import type { ContextChange, ContextEntry } from '../../store/context.js';

export const entryView = (e: ContextEntry): ContextEntryView => ({
  scope: e.scope,
  scope_id: e.scopeId,
  key: e.key,
  value: e.value,
  version: e.version,
  created_at: e.createdAt,
  updated_at: e.updatedAt,
  updated_by: e.updatedBy,
  expires_at: e.expiresAt,
});

export const changeView = (c: ContextChange): ContextChangeView => ({
  version: c.version,
  change: c.change,
  value: c.value,
  by: c.changedBy,
  at: c.changedAt,
  expires_at: c.expiresAt,
});
