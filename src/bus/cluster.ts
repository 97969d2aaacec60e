/**
 * The cluster bus (PostgreSQL store): every node's events reach the listeners of every node.
 *
 * - publish() delivers to this node's listeners at once (as the in-process bus does) and queues the
 *   event for the outbox table `bus_events`. Everything queued while one write is in flight goes out
 *   as ONE multi-row INSERT carrying ONE `pg_notify` (a tiny payload: the origin node's id, a hint
 *   only), so notifications are coalesced under load and never carry the event itself.
 * - Each node holds one dedicated LISTEN connection (outside the pool). A notification, a slow timer
 *   (in case one was lost) and every (re)connect make the node re-read the outbox after its own
 *   position and deliver the other nodes' rows to its listeners (`subscribe`, not `subscribeLocal`).
 * - A dropped LISTEN connection is reconnected with backoff; the read after LISTEN catches up from
 *   the position, so nothing published meanwhile is missed.
 *
 * Why reading never skips a row: ids come from a sequence, and sequences are not commit-ordered (a
 * transaction can take id 7, commit after id 8 was read, and a reader resuming "after 8" would skip
 * it for ever). So each row stores its writer's transaction id (`xid`, xid8: 64-bit, never wraps),
 * and a node remembers the snapshot of its last read (`pg_current_snapshot()`: xmin, xmax and the
 * transactions in progress). A row was delivered by that read exactly when its xid is visible in
 * that snapshot; so the next read takes the rows visible in its own snapshot whose xid was NOT
 * visible in the last one: xid at or above the last xmax, or among the last snapshot's in-progress
 * xids. A transaction that was open at the last read and commits later is found by the next read
 * (its commit sends the NOTIFY that wakes the readers); one that had not started has an xid at or
 * above the last xmax. Nothing is skipped, and rows of transactions that ended are delivered at
 * once: an unrelated open transaction, or a late outbox write, holds nothing else back. Each
 * node's own rows go out in publish order (its writes are one at a time, so ids and commits are in
 * that order, and a read delivers in (xid, id) order); rows of different nodes have no common order.
 *
 * Events carry no token or secret (src/bus/events.ts: views, ids, statuses, bodies already stored),
 * so the outbox holds nothing the store does not. Its rows are pushes, never the only copy: they are
 * pruned after a few minutes (on every node at once, harmlessly) and clients read by cursor.
 */
import type pg from 'pg';
import type { Timers } from '../core/timers.js';
import type { PgDatabase } from '../store/postgres/database.js';
import { type Bus, InProcessBus, type Listener, type Unsubscribe } from './bus.js';
import type { HubEvent } from './events.js';

/** The NOTIFY channel; its payload is the publishing node's id (so a node ignores its own). */
export const BUS_NOTIFY_CHANNEL = 'switchboard_bus';

export interface ClusterBusOptions {
  /** This node's id: stored with each row, and rows of this origin are not delivered again. */
  nodeId: string;
  timers: Timers;
  /** A listener threw, or the bus's own database work failed (it retries by itself). */
  onError?: (what: string, err: unknown) => void;
  /** The slow re-read in case a notification was lost (default 1,000 ms). */
  pollMs?: number;
  /** How often old outbox rows are deleted (default 60 s), and how old they must be (default 10 min). */
  pruneEveryMs?: number;
  keepMs?: number;
  /** Reconnect backoff of the LISTEN connection (default 100 ms doubling to 5 s). */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

export interface ClusterBusStats {
  /** Events published on this node. */
  published: number;
  /** Outbox INSERTs written (each one statement with its one NOTIFY). */
  batches: number;
  notifies: number;
  /** Notifications from other nodes received. */
  wakeups: number;
  /** Outbox reads. */
  reads: number;
  /** Events of other nodes delivered to this node's listeners. */
  received: number;
  /** LISTEN connections made after the first one. */
  reconnects: number;
  /** Events given up on (outbox unreachable while over MAX_PENDING events were queued). */
  dropped: number;
  connected: boolean;
  pending: number;
}

const BATCH_MAX = 500;
const READ_LIMIT = 500;
const MAX_PENDING = 10_000;

interface Queued {
  channel: string;
  event: string;
}

interface OutboxRow {
  /** The snapshot the read covers (every row carries it; one row with nulls when none is new). */
  snap: string;
  id: number | null;
  xid: string | null;
  origin: string;
  channel: string;
  event: string;
}

/**
 * What a snapshot says of later reads: xids at or above `xmax` had not started, `xip` were in
 * progress; every other xid had ended (its rows, if any, were visible then).
 */
interface Seen {
  xmax: string;
  xip: string[];
}

/** `xmin:xmax:xip,xip,…` (pg_snapshot's text form) → what a later read must still look at. */
function seen(snapshot: string): Seen {
  const [, xmax, xip] = snapshot.split(':');
  return { xmax, xip: xip ? xip.split(',') : [] };
}

export class ClusterBus implements Bus {
  /** Listeners of every event, and listeners of this node's events only. */
  private readonly any: InProcessBus;
  private readonly local: InProcessBus;
  private pending: Queued[] = [];
  private flushScheduled = false;
  private flushing: Promise<void> | null = null;
  /** The snapshot of the last read; null until start(). xid8 travels as text (it exceeds 2^53 in theory). */
  private position: Seen | null = null;
  /** A read under way: its snapshot and the (xid, id) of the last row it delivered. */
  private paging: { snapshot: string; afterXid: string; afterId: number } | null = null;
  private reading: Promise<void> | null = null;
  private readAgain = false;
  private listener: pg.Client | null = null;
  private listenerPid: number | null = null;
  private backoffMs: number;
  private readonly timeouts = new Set<NodeJS.Timeout>();
  private closed = false;
  private readonly counts: Omit<ClusterBusStats, 'connected' | 'pending'> = {
    published: 0,
    batches: 0,
    notifies: 0,
    wakeups: 0,
    reads: 0,
    received: 0,
    reconnects: 0,
    dropped: 0,
  };
  private connects = 0;
  private readonly jobs: string[];

  constructor(
    private readonly db: PgDatabase,
    private readonly opts: ClusterBusOptions,
  ) {
    const onListenerError = (err: unknown) => opts.onError?.('event listener', err);
    this.any = new InProcessBus(onListenerError);
    this.local = new InProcessBus(onListenerError);
    this.backoffMs = opts.reconnectMinMs ?? 100;
    this.jobs = [`cluster bus catch-up (${opts.nodeId})`, `cluster bus prune (${opts.nodeId})`];
  }

  get nodeId(): string {
    return this.opts.nodeId;
  }

  /** Starts reading after the current snapshot (what it shows committed is history), then listens. */
  async start(): Promise<void> {
    const [row] = await this.db.query<{ snap: string }>('SELECT pg_current_snapshot()::text AS snap');
    this.position = seen(row.snap);
    await this.connect().catch((err) => {
      this.report('listen connection', err);
      this.scheduleReconnect();
    });
    const { timers } = this.opts;
    timers.every(this.jobs[0], this.opts.pollMs ?? 1000, () => this.catchUp());
    timers.every(this.jobs[1], this.opts.pruneEveryMs ?? 60_000, () => this.prune());
  }

  publish(channel: string, event: HubEvent): void {
    this.any.publish(channel, event);
    this.local.publish(channel, event);
    if (this.closed) return;
    this.counts.published++;
    if (this.pending.length >= MAX_PENDING) {
      this.pending.shift();
      this.counts.dropped++;
    }
    this.pending.push({ channel, event: JSON.stringify(event) });
    this.scheduleFlush();
  }

  subscribe(channel: string, listener: Listener): Unsubscribe {
    return this.any.subscribe(channel, listener);
  }

  subscribeLocal(channel: string, listener: Listener): Unsubscribe {
    return this.local.subscribe(channel, listener);
  }

  listenerCount(channel?: string): number {
    return this.any.listenerCount(channel) + this.local.listenerCount(channel);
  }

  stats(): ClusterBusStats {
    return { ...this.counts, connected: this.listener !== null, pending: this.pending.length };
  }

  /** The backend pid of the LISTEN connection (for operators and tests), null while disconnected. */
  get listenPid(): number | null {
    return this.listener ? this.listenerPid : null;
  }

  /** Resolves once everything published so far is in the outbox (or given up on after close). */
  async drain(): Promise<void> {
    while (this.flushing || this.flushScheduled) {
      if (this.flushing) await this.flushing;
      else await new Promise((r) => setImmediate(r));
    }
  }

  /** Reads the outbox up to the horizon now and delivers what other nodes published. */
  async catchUp(): Promise<void> {
    if (this.reading) {
      this.readAgain = true;
      return this.reading;
    }
    this.reading = (async () => {
      try {
        do {
          this.readAgain = false;
          await this.readOnce();
        } while (this.readAgain && !this.closed);
      } finally {
        this.reading = null;
      }
    })();
    return this.reading;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const name of this.jobs) this.opts.timers.stop(name);
    for (const t of this.timeouts) clearTimeout(t);
    this.timeouts.clear();
    // What was published before close still goes out (one last try), then reading stops.
    await this.flush();
    await this.reading?.catch(() => {});
    const client = this.listener;
    this.listener = null;
    await client?.end().catch(() => {});
  }

  // ---------------------------------------------------------------- writing

  private scheduleFlush(): void {
    if (this.flushScheduled || this.flushing) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      void this.flush();
    });
  }

  /** Writes the queue; what is published while a write is in flight goes out in the next one. */
  private flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = (async () => {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, BATCH_MAX);
        try {
          await this.write(batch);
        } catch (err) {
          this.report('outbox write', err);
          if (this.closed) {
            this.counts.dropped += batch.length + this.pending.length;
            this.pending = [];
            return;
          }
          this.pending.unshift(...batch);
          this.later(1000, () => void this.flush());
          return;
        }
      }
    })().finally(() => (this.flushing = null));
    return this.flushing;
  }

  /** One statement, so one transaction: the rows and the NOTIFY commit together. */
  private async write(batch: Queued[]): Promise<void> {
    await this.db.query(
      `WITH ins AS (
         INSERT INTO bus_events (origin, channel, event)
         SELECT $1, t.channel, t.event FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS t(channel, event, n)
         ORDER BY t.n
         RETURNING 1
       )
       SELECT pg_notify('${BUS_NOTIFY_CHANNEL}', $1) FROM (SELECT count(*) FROM ins) AS written`,
      [this.opts.nodeId, batch.map((q) => q.channel), batch.map((q) => q.event)],
    );
    this.counts.batches++;
    this.counts.notifies++;
  }

  // ---------------------------------------------------------------- reading

  /**
   * Reads what committed since the last read (see the header), page by page in one snapshot, and
   * delivers the other nodes' rows; then that snapshot is the position.
   */
  private async readOnce(): Promise<void> {
    const from = this.position;
    if (!from || this.closed) return;
    for (;;) {
      this.counts.reads++;
      // A read that failed between pages resumes in its snapshot after its last row (no repeats).
      const { snapshot, afterXid, afterId } = this.paging ?? { snapshot: null, afterXid: '0', afterId: 0 };
      // Rows in (xid, id) order, the order of the index: each node's writes are one at a time, so
      // that is its publish order. Two index range scans, one for what had not started and one for
      // what was in progress, so the plan never depends on the table's statistics (ordered by id
      // over an OR, a planner with stale statistics walked the primary key through every row).
      // (The first scan starts after one row key, the later of "from xmax on" and the last row
      // delivered: btree cannot tell which of a scalar bound and a row bound is tighter, and
      // started from the looser one, walking every older row.)
      const fromXmax = BigInt(afterXid) < BigInt(from.xmax);
      const branch = (which: string) =>
        `(SELECT b.id, b.xid, b.origin, b.channel, b.event FROM bus_events b
           WHERE ${which}
             AND pg_visible_in_snapshot(b.xid, s.snap)
           ORDER BY b.xid, b.id LIMIT ${READ_LIMIT})`;
      const first = branch('(b.xid, b.id) > ($5::xid8, $6::bigint)');
      const inProgress = branch('b.xid = ANY($1::xid8[]) AND (b.xid, b.id) > ($3::xid8, $4::bigint)');
      const rows: OutboxRow[] = await this.db.query<OutboxRow>(
        `WITH s AS (SELECT COALESCE($2::pg_snapshot, pg_current_snapshot()) AS snap)
         SELECT s.snap::text AS snap, e.id, e.xid::text AS xid, e.origin, e.channel, e.event
           FROM s LEFT JOIN LATERAL (
             SELECT * FROM (${first} UNION ALL ${inProgress}) u ORDER BY u.xid, u.id LIMIT ${READ_LIMIT}
           ) e ON true
          ORDER BY e.xid, e.id`,
        [from.xip, snapshot, afterXid, afterId, fromXmax ? from.xmax : afterXid, fromXmax ? -1 : afterId],
      );
      const page = { snapshot: rows[0].snap, afterXid, afterId };
      this.paging = page;
      for (const row of rows) {
        if (row.id === null) continue;
        page.afterXid = row.xid!;
        page.afterId = row.id;
        if (row.origin === this.opts.nodeId) continue;
        let event: HubEvent;
        try {
          event = JSON.parse(row.event) as HubEvent;
        } catch (err) {
          this.report('outbox row', err);
          continue;
        }
        this.counts.received++;
        this.any.publish(row.channel, event);
      }
      if (this.closed) return;
      if (rows.length < READ_LIMIT) break;
    }
    this.position = seen(this.paging.snapshot);
    this.paging = null;
  }

  /** Deletes outbox rows older than keepMs (idempotent: every node may run it at once). */
  async prune(): Promise<void> {
    await this.db.query(`DELETE FROM bus_events WHERE created_at < now() - make_interval(secs => $1)`, [
      (this.opts.keepMs ?? 600_000) / 1000,
    ]);
  }

  // ---------------------------------------------------------------- the LISTEN connection

  private async connect(): Promise<void> {
    const client = this.db.newClient();
    let gone = false;
    // 'error' and then 'end' both come when the server drops us: handle the first one only. A client
    // that fails while connecting was never installed; connect()'s caller schedules the retry then.
    const dropped = (err?: unknown) => {
      if (gone) return;
      gone = true;
      client.removeAllListeners('notification');
      void client.end().catch(() => {});
      if (this.listener !== client) return;
      this.listener = null;
      if (this.closed) return;
      if (err) this.report('listen connection', err);
      this.scheduleReconnect();
    };
    client.on('error', (err) => dropped(err));
    client.on('end', () => dropped());
    client.on('notification', (msg) => {
      if (msg.channel !== BUS_NOTIFY_CHANNEL || msg.payload === this.opts.nodeId) return;
      this.counts.wakeups++;
      this.catchUp().catch((err) => this.report('outbox read', err));
    });
    try {
      await client.connect();
      const [{ pid }] = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;
      await client.query(`LISTEN ${BUS_NOTIFY_CHANNEL}`);
      if (this.closed) {
        await client.end().catch(() => {});
        return;
      }
      this.listenerPid = pid;
      this.listener = client;
    } catch (err) {
      client.removeAllListeners();
      client.on('error', () => {});
      await client.end().catch(() => {});
      throw err;
    }
    if (this.connects++ > 0) this.counts.reconnects++;
    this.backoffMs = this.opts.reconnectMinMs ?? 100;
    // Listening now: whatever was published while we were not is read from the position. Not
    // awaited: under a steady stream every read is followed by another (each NOTIFY asks for one),
    // and a node's start must not wait for the stream to pause.
    this.catchUp().catch((err) => this.report('outbox read', err));
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    const wait = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.opts.reconnectMaxMs ?? 5000);
    this.later(wait, () => {
      this.connect().catch((err) => {
        this.report('listen connection', err);
        this.scheduleReconnect();
      });
    });
  }

  private later(ms: number, fn: () => void): void {
    if (this.closed) return;
    const t = setTimeout(() => {
      this.timeouts.delete(t);
      fn();
    }, ms);
    t.unref();
    this.timeouts.add(t);
  }

  private report(what: string, err: unknown): void {
    this.opts.onError?.(what, err);
  }
}
