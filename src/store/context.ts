/** Persistence for context: the ContextStore part of the Store interface. */

/** How many changes each key keeps in its history (both stores prune to it). */
export const HISTORY_PER_KEY = 100;

export type ContextScope = 'global' | 'project' | 'session' | 'conversation' | 'agent';

/** One key's address: scope kind, the scope's id ('' for global), the key. */
export interface ContextAddress {
  scope: ContextScope;
  scopeId: string;
  key: string;
}

export interface ContextEntry extends ContextAddress {
  value: unknown;
  version: number;
  createdAt: string;
  updatedAt: string;
  updatedBy: string | null;
  expiresAt: string | null;
}

export type ContextChangeKind = 'set' | 'delete' | 'expire';

export interface ContextChange extends ContextAddress {
  version: number;
  change: ContextChangeKind;
  value: unknown;
  changedBy: string | null;
  changedAt: string;
  expiresAt: string | null;
}

export interface ContextWrite extends ContextAddress {
  value: unknown;
  /** `value` as JSON, when the caller already has it (it is what gets stored); else the store makes it. */
  text?: string;
  /** Compare-and-set: 0 means "only if absent"; undefined writes unconditionally. */
  expectedVersion?: number;
  by: string | null;
  at: string;
  expiresAt: string | null;
  /**
   * The most live keys the scope may hold: a write that would create a key in a scope already
   * holding this many is refused ({@link ContextFull}) inside the same atomic write, so concurrent
   * writes creating keys are each counted exactly. Undefined: no limit.
   */
  maxKeys?: number;
}

/** A write refused by compare-and-set: what is there now (null when absent or expired). */
export interface ContextStale {
  stale: true;
  current: ContextEntry | null;
}

/** A write refused because it would create a key in a scope already holding `maxKeys` live keys. */
export interface ContextFull {
  full: true;
  count: number;
}

export interface ContextStore {
  /** The live entry (null when absent or expired at `now`). */
  getContext(address: ContextAddress, now: string): Promise<ContextEntry | null>;
  /** Live entries of one scope, by key; `prefix` narrows the keys. */
  listContext(
    scope: ContextAddress['scope'],
    scopeId: string,
    opts: { prefix?: string; now: string; limit: number; after?: string },
  ): Promise<ContextEntry[]>;
  /**
   * Sets a key in one atomic write: compare-and-set, the scope's key limit, new version, history
   * row. A refused write (stale or full) stores nothing. Concurrent calls may share one commit
   * (SQLite's group commit), but each is decided on its own, in call order.
   */
  setContext(write: ContextWrite): Promise<ContextEntry | ContextStale | ContextFull>;
  /** Deletes a live key (compare-and-set optional); null when there was none. */
  deleteContext(
    address: ContextAddress,
    opts: { expectedVersion?: number; by: string | null; at: string },
  ): Promise<ContextChange | ContextStale | null>;
  /** Changes of one key, newest first. */
  contextHistory(address: ContextAddress, limit: number): Promise<ContextChange[]>;
  /** Removes entries expired at `now`; returns one `expire` change per removed entry. */
  sweepContext(now: string, limit: number): Promise<ContextChange[]>;
  /** Count of live keys in a scope. */
  countContext(scope: ContextAddress['scope'], scopeId: string, now: string): Promise<number>;

  /** Persistent watchers: key '*' watches a whole scope. */
  addContextWatcher(address: ContextAddress, agentId: string, at: string): Promise<boolean>;
  removeContextWatcher(address: ContextAddress, agentId: string): Promise<boolean>;
  /** Agents watching this key or its whole scope. */
  contextWatchers(address: ContextAddress): Promise<string[]>;
}
