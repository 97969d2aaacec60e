/**
 * This hub node and the others it shares a PostgreSQL database with. Each node has an id made at
 * start (`node_<ulid>`, in its logs and in `pg_stat_activity`), beats every few seconds into the
 * `nodes` table, and counts as live while its last beat is within three intervals. A node closing on
 * purpose removes its row at once; one that died drops out when its beats stop. On SQLite there is
 * no table: the hub is exactly one node, this one.
 */
import { hostname } from 'node:os';
import type { Clock } from '../../core/time.js';
import { iso } from '../../core/time.js';
import type { Timers } from '../../core/timers.js';
import type { Logger } from '../../core/logger.js';
import type { NodeRecord, NodeStore } from '../../store/nodes.js';
import type { StoreKind } from '../../store/open.js';

/** How often a node beats, and how many missed beats make it not live. */
export const HEARTBEAT_MS = 5_000;
export const LIVE_BEATS = 3;
/** Rows of nodes silent this long are deleted (by any node). */
const FORGET_MS = 24 * 3600_000;

export interface NodeServiceDeps {
  id: string;
  store: StoreKind;
  version: string;
  startedAt: string;
  /** The table of nodes; null on SQLite (one node). */
  registry: NodeStore | null;
  timers: Timers;
  clock: Clock;
  logger: Logger;
  heartbeatMs?: number;
}

export interface NodeInfo extends NodeRecord {
  /** The node answering. */
  self: boolean;
}

export class NodeService {
  private url: string | null = null;
  private readonly heartbeatMs: number;

  constructor(private readonly d: NodeServiceDeps) {
    this.heartbeatMs = d.heartbeatMs ?? HEARTBEAT_MS;
  }

  get id(): string {
    return this.d.id;
  }

  get store(): StoreKind {
    return this.d.store;
  }

  /** The first beat (so the node is listed as soon as it serves), then one every interval. */
  async start(): Promise<void> {
    if (!this.d.registry) return;
    await this.beat();
    this.d.timers.every('node heartbeat', this.heartbeatMs, () => this.beat());
    this.d.timers.every('forget dead nodes', 60 * this.heartbeatMs, () => this.d.registry?.forget(FORGET_MS));
  }

  /** Known once the hub listens; written at once so other nodes can name this one's address. */
  async setUrl(url: string): Promise<void> {
    this.url = url;
    await this.beat().catch((err) => this.d.logger.warn({ err }, 'node heartbeat failed'));
  }

  /** The live nodes, earliest started first; this one is always among them. */
  async list(): Promise<NodeInfo[]> {
    const me = this.selfRecord();
    if (!this.d.registry) return [{ ...me, self: true }];
    const live = await this.d.registry.live(this.heartbeatMs * LIVE_BEATS);
    const nodes = live.map((n) => ({ ...n, self: n.id === this.d.id }));
    if (!nodes.some((n) => n.self)) nodes.push({ ...me, self: true });
    return nodes;
  }

  /** Whether other nodes may share the store (PostgreSQL); false on SQLite, where this hub is the one node. */
  get clustered(): boolean {
    return this.d.registry !== null;
  }

  /** Whether `id` is a live node (this one always is). */
  async isLive(id: string): Promise<boolean> {
    if (id === this.d.id) return true;
    return (await this.list()).some((n) => n.id === id);
  }

  /** When `id` last beat (null: no row, e.g. it left on purpose or was forgotten). */
  async lastBeat(id: string): Promise<string | null> {
    return (await this.find(id))?.heartbeatAt ?? null;
  }

  /** A node's row, live or not (null: none, or on SQLite). */
  async find(id: string): Promise<NodeRecord | null> {
    return (await this.d.registry?.find(id)) ?? null;
  }

  /** How often nodes beat: a node silent for LIVE_BEATS of these is dead. */
  get heartbeatInterval(): number {
    return this.heartbeatMs;
  }

  /** Leaving on purpose: other nodes stop listing this one at once. */
  async leave(): Promise<void> {
    await this.d.registry?.remove(this.d.id);
  }

  private async beat(): Promise<void> {
    const { heartbeatAt: _, ...me } = this.selfRecord();
    await this.d.registry?.heartbeat(me);
  }

  private selfRecord(): NodeRecord {
    return {
      id: this.d.id,
      url: this.url,
      host: hostname(),
      pid: process.pid,
      version: this.d.version,
      store: this.d.store,
      startedAt: this.d.startedAt,
      heartbeatAt: iso(this.d.clock.now()),
    };
  }
}
