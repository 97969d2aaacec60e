/**
 * Hub nodes (cluster mode): each running node keeps a row with its heartbeat, so every node can tell
 * which others are alive. Only the PostgreSQL store has it; a SQLite hub is always exactly one node.
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
}

export interface NodeStore {
  /** Inserts or refreshes this node's row; its heartbeat is the database's `now()`. */
  heartbeat(node: Omit<NodeRecord, 'heartbeatAt'>): Promise<void>;
  /** The nodes that beat within the last `withinMs` (database clock), earliest started first. */
  live(withinMs: number): Promise<NodeRecord[]>;
  /** One node's row, live or not (null: none, e.g. it left on purpose or was forgotten). */
  find(id: string): Promise<NodeRecord | null>;
  /** A node leaving on purpose drops out of the live list at once. */
  remove(id: string): Promise<void>;
  /** Deletes the rows of nodes silent for longer than `olderThanMs` (idempotent on every node). */
  forget(olderThanMs: number): Promise<number>;
}
