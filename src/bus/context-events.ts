/** Events of the context capability (added to HubEvent). */
import type { ContextChangeView } from '../core/wire/index.js';

/** A key of shared context changed: set (with its new value), deleted, or expired. */
export type ContextChangedEvent = {
  type: 'context.changed';
  at: string;
  scope: string;
  scope_id: string;
  key: string;
  change: ContextChangeView['change'];
  version: number;
  /** The new value for `set`; null for `delete` and `expire`. */
  value: unknown;
  by: string | null;
  expires_at: string | null;
};

export type ContextEvent = ContextChangedEvent;

/** The bus channel of one key: blocked `watch_context` calls and MCP resource watches listen here. */
export const contextKeyChannel = (scope: string, scopeId: string, key: string): string =>
  `context:${JSON.stringify([scope, scopeId, key])}`;
