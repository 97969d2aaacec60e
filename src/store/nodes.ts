/**
 * Hub nodes (cluster mode): each running node keeps a row with its heartbeat, so every node can tell
 * which others are alive. A node that closes on purpose keeps its row, marked as left (it comes back
 * on the same data directory with the same id); one that died is told by its stale heartbeat. Only
 * the PostgreSQL store has it; a SQLite hub is always exactly one node.
 */
import type { StoreKind } from './open.js';

export interface NodeRecord {
  id: string;
  /** The node's base URL once it listens. */
  url: string | null;
  host: string;
  pid: number;
  version: string;
  store: StoreKind;
  startedAt: string;
  /** When it last beat, by the database's clock (the nodes' own clocks may disagree). */
  heartbeatAt: string;
  /** When it closed on purpose (database clock); null while it runs, or when it died without closing. */
  leftAt: string | null;
}

export interface NodeStore {
  /**
   * Inserts or refreshes this node's row (a node starting again on its data directory replaces what
   * its previous run wrote, and is no longer left); its heartbeat is the database's `now()`.
   */
  heartbeat(node: Omit<NodeRecord, 'heartbeatAt' | 'leftAt'>): Promise<void>;
  /** The nodes that beat within the last `withinMs` (database clock) and have not left, earliest started first. */
  live(withinMs: number): Promise<NodeRecord[]>;
  /** The nodes that left on purpose, earliest started first; `withinMs`: only those that left that recently. */
  left(withinMs?: number): Promise<NodeRecord[]>;
  /** One node's row, live or not (null: none, e.g. never seen or forgotten). */
  find(id: string): Promise<NodeRecord | null>;
  /** A node leaving on purpose: out of the live list at once, its row kept and marked left. */
  leave(id: string): Promise<void>;
  /** Deletes the rows of nodes silent for longer than `olderThanMs` (idempotent on every node). */
  forget(olderThanMs: number): Promise<number>;
}
