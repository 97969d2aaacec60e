/**
 * This hub node and the others it shares a PostgreSQL database with. Each node has an id made at
 * start (`node_<ulid>`, in its logs and in `pg_stat_activity`), beats every few seconds into the
 * `nodes` table, and counts as live while its last beat is within three intervals. A node closing on
 * purpose is marked left at once (its row stays, listed as left: it resumes its own suspended
 * instances when it starts again on its data directory); one that died drops out of the list when its
 * beats stop. On SQLite there is no table: the hub is exactly one node, this one.
 */
import { hostname } from 'node:os';
import type { Clock } from '../../core/time.js';
import { iso } from '../../core/time.js';
import type { Timers } from '../../core/timers.js';
import type { Logger } from '../../core/logger.js';
import type { NodeRecord, NodeStore } from '../../store/nodes.js';
import type { StoreKind } from '../../store/open.js';

/**
 * The heartbeat job: it keeps beating while the hub closes (stopping instances may take a while, and
 * a node that stops beating looks dead to the others, who would take its instances over) until `leave`.
 */
export const HEARTBEAT_JOB = 'node heartbeat';

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

/** `live`: beating; `left`: closed on purpose, may start again (a dead node is not listed). */
export type NodeState = 'live' | 'left';

export interface NodeInfo extends NodeRecord {
  /** The node answering. */
  self: boolean;
  state: NodeState;
}

export class NodeService {
  private url: string | null = null;
  private readonly heartbeatMs: number;
  /** The beat being written (leaving waits for it, so no late beat undoes the leave). */
  private beating: Promise<unknown> = Promise.resolve();
  private gone = false;

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
    this.d.timers.every(HEARTBEAT_JOB, this.heartbeatMs, () => this.beat());
    this.d.timers.every('forget dead nodes', 60 * this.heartbeatMs, () => this.d.registry?.forget(FORGET_MS));
  }

  /** Known once the hub listens; written at once so other nodes can name this one's address. */
  async setUrl(url: string): Promise<void> {
    this.url = url;
    await this.beat().catch((err) => this.d.logger.warn({ err }, 'node heartbeat failed'));
  }

  /**
   * The live nodes, earliest started first (this one is always among them), then the nodes that left
   * on purpose and have not been forgotten. Dead ones (heartbeats stopped without leaving) are not listed.
   */
  async list(): Promise<NodeInfo[]> {
    const me = this.selfRecord();
    if (!this.d.registry) return [{ ...me, self: true, state: 'live' }];
    const [live, left] = await Promise.all([this.d.registry.live(this.liveWithinMs), this.d.registry.left()]);
    const nodes: NodeInfo[] = live.map((n) => ({ ...n, self: n.id === this.d.id, state: 'live' }));
    if (!nodes.some((n) => n.self)) nodes.push({ ...me, self: true, state: 'live' });
    return [
      ...nodes,
      ...left.filter((n) => n.id !== this.d.id).map((n) => ({ ...n, self: false, state: 'left' as const })),
    ];
  }

  /** The ids of the live nodes (this one always among them). */
  async liveIds(): Promise<Set<string>> {
    const ids = new Set([this.d.id]);
    for (const n of (await this.d.registry?.live(this.liveWithinMs)) ?? []) ids.add(n.id);
    return ids;
  }

  /** The ids of the nodes that left on purpose within the last `withinMs` (database clock). */
  async leftWithin(withinMs: number): Promise<Set<string>> {
    return new Set(((await this.d.registry?.left(withinMs)) ?? []).map((n) => n.id));
  }

  /** Whether other nodes may share the store (PostgreSQL); false on SQLite, where this hub is the one node. */
  get clustered(): boolean {
    return this.d.registry !== null;
  }

  /** Whether `id` is a live node (this one always is). */
  async isLive(id: string): Promise<boolean> {
    return (await this.liveIds()).has(id);
  }

  /**
   * Why a node that is not live is gone, for reasons and errors: it left on purpose (when), its
   * heartbeats stopped (since when), or it is not in the table (forgotten, or never seen).
   */
  async whyGone(id: string): Promise<string> {
    return describeGone(await this.find(id));
  }

  /** A node's row, live or not (null: none, or on SQLite). */
  async find(id: string): Promise<NodeRecord | null> {
    return (await this.d.registry?.find(id)) ?? null;
  }

  /** How often nodes beat: a node silent for LIVE_BEATS of these is dead. */
  get heartbeatInterval(): number {
    return this.heartbeatMs;
  }

  /**
   * Leaving on purpose: other nodes list this one as left at once (not live), and leave its suspended
   * instances for it to resume when it starts again. No beat is written after this.
   */
  async leave(): Promise<void> {
    this.gone = true;
    this.d.timers.stop(HEARTBEAT_JOB);
    await this.beating;
    await this.d.registry?.leave(this.d.id);
  }

  private async beat(): Promise<void> {
    if (this.gone || !this.d.registry) return;
    const { heartbeatAt: _, leftAt: __, ...me } = this.selfRecord();
    const beat = this.d.registry.heartbeat(me);
    this.beating = beat.catch(() => {});
    await beat;
  }

  private get liveWithinMs(): number {
    return this.heartbeatMs * LIVE_BEATS;
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
      leftAt: null,
    };
  }
}

/** A node that is not live, as reasons name it (null: no row). */
export function describeGone(n: NodeRecord | null): string {
  if (!n) return 'it is no longer in the nodes table';
  if (n.leftAt) return `it left the cluster at ${n.leftAt}`;
  return `no heartbeat since ${n.heartbeatAt}`;
}
