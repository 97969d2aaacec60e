/**
 * Fills a hub's SQLite file with a realistic message log fast: rows written straight into `messages`,
 * `deliveries` and `thread_participants` in big transactions (not through the send path, which
 * would take hours for a million messages). Shape: conversations inside one project between 2–4 of
 * its agents, 2–30 messages each, requests mostly answered by a `response` (reply_to), notes and
 * requests sometimes `ack_required` and then mostly acked, most deliveries read; spread over `days`
 * days up to now. Deterministic (seeded). The search index is not filled: the FTS high-water mark is
 * moved past the bulk rows, so the hub does not spend minutes indexing them in the background.
 */
import type { Database } from 'better-sqlite3';

export interface FillAgent {
  id: string;
  project: string;
}

export interface FillOptions {
  messages: number;
  days: number;
  /** Messages per transaction. */
  batch?: number;
  seed?: number;
  /** Called after each transaction with the messages written so far. */
  progress?: (written: number) => void;
}

export interface FillResult {
  messages: number;
  deliveries: number;
  threads: number;
  byType: Record<string, number>;
  seconds: number;
}

/** mulberry32: a small seeded PRNG, enough for a synthetic data shape. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Unique message ids of the hub's shape (`msg_` + 26 characters), increasing in insertion order so
 * the id and thread indexes grow at their end (ids made from the random send times would scatter
 * the inserts over the whole index and make the fill several times slower).
 */
function idMaker(): () => string {
  let n = 0;
  return () => `msg_01BENCH${(n++).toString(36).toUpperCase().padStart(20, '0')}`;
}

export async function fillMessages(db: Database, agents: FillAgent[], o: FillOptions): Promise<FillResult> {
  const started = performance.now();
  const rand = rng(o.seed ?? 42);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const byProject = new Map<string, string[]>();
  for (const a of agents) byProject.set(a.project, [...(byProject.get(a.project) ?? []), a.id]);
  const projects = [...byProject.keys()];
  const projectOf = new Map(agents.map((a) => [a.id, a.project]));
  const insertMsg = db.prepare(`INSERT INTO messages
    (id, from_agent, to_spec, type, subject, body, thread_id, reply_to, correlation_id, importance,
     ack_required, project, created_at, expires_at, idempotency_key, recipients)
    VALUES (?, ?, ?, ?, NULL, ?, ?, ?, NULL, 'normal', ?, ?, ?, NULL, NULL, ?)`);
  const insertDelivery = db.prepare(
    'INSERT INTO deliveries (agent_id, message_seq, read_at, acked_at) VALUES (?, ?, ?, ?)',
  );
  const joinThread = db.prepare(
    'INSERT OR IGNORE INTO thread_participants (thread_id, agent_id) VALUES (?, ?)',
  );
  const ftsMark = db.prepare(
    'UPDATE fts_progress SET indexed_seq = (SELECT MAX(seq) FROM messages) WHERE id = 1',
  );
  const newId = idMaker();
  const spanMs = o.days * 86_400_000;
  const origin = Date.now() - spanMs;
  const iso = (ms: number) => new Date(ms).toISOString();
  const body = JSON.stringify('x'.repeat(60));
  const result: FillResult = { messages: 0, deliveries: 0, threads: 0, byType: {}, seconds: 0 };

  // Plan the conversations first (who, how long, when they start), then write their messages in
  // time order, as a hub would have stored them: seq and created_at grow together.
  interface Conversation {
    cast: string[];
    length: number;
    written: number;
    next: number;
    threadId: string;
    open: { id: string; from: string; to: string } | null;
  }
  const plans: Conversation[] = [];
  for (let planned = 0; planned < o.messages;) {
    const members = byProject.get(pick(projects))!;
    const k = 2 + Math.floor(rand() * 3);
    const people = new Set<string>();
    while (people.size < Math.min(k, members.length)) people.add(pick(members));
    const length = Math.min(o.messages - planned, 2 + Math.floor(rand() * 29));
    planned += length;
    // Leave room for the conversation to end before now.
    const next = origin + Math.floor(rand() * (spanMs - 3 * 3_600_000));
    plans.push({ cast: [...people], length, written: 0, next, threadId: '', open: null });
  }
  result.threads = plans.length;
  const heap = new MinHeap<Conversation>((a, b) => a.next - b.next);
  for (const c of plans) heap.push(c);

  /** Writes the conversation's next message. */
  const writeNext = (c: Conversation): void => {
    const t = c.next;
    const i = c.written;
    let from: string;
    let type: string;
    let to: string[];
    let replyTo: string | null = null;
    if (c.open && rand() < 0.85) {
      from = c.open.to;
      type = 'response';
      to = [c.open.from];
      replyTo = c.open.id;
    } else {
      from = c.cast[i % c.cast.length];
      const r = rand();
      type = r < 0.55 ? 'request' : r < 0.8 ? 'note' : 'message';
      const others = c.cast.filter((x) => x !== from);
      to = rand() < 0.8 ? [pick(others)] : others;
    }
    c.open = null;
    const ackRequired = type === 'note' ? rand() < 0.5 : type === 'request' ? rand() < 0.3 : false;
    const id = newId();
    if (i === 0) c.threadId = id;
    const info = insertMsg.run(
      id,
      from,
      JSON.stringify(to.length === 1 ? to[0] : to),
      type,
      body,
      c.threadId,
      replyTo,
      ackRequired ? 1 : 0,
      projectOf.get(from)!,
      iso(t),
      JSON.stringify(to),
    );
    const seq = Number(info.lastInsertRowid);
    for (const r of to) {
      const readAt = rand() < 0.92 ? t + 1000 + Math.floor(rand() * 120_000) : null;
      const ackedAt = ackRequired && rand() < 0.8 ? t + 1000 + Math.floor(rand() * 300_000) : null;
      insertDelivery.run(
        r,
        seq,
        readAt === null && ackedAt === null ? null : iso(Math.min(readAt ?? Infinity, ackedAt ?? Infinity)),
        ackedAt === null ? null : iso(ackedAt),
      );
      result.deliveries++;
    }
    for (const who of [from, ...to]) joinThread.run(c.threadId, who);
    if (type === 'request') c.open = { id, from, to: to[0] };
    result.byType[type] = (result.byType[type] ?? 0) + 1;
    c.written++;
    c.next = t + 5_000 + Math.floor(rand() * 600_000);
  };

  const batch = o.batch ?? 20_000;
  const write = db.transaction((n: number) => {
    for (let done = 0; done < n; done++) {
      const c = heap.pop()!;
      writeNext(c);
      if (c.written < c.length) heap.push(c);
    }
    ftsMark.run();
  });
  while (result.messages < o.messages) {
    const n = Math.min(batch, o.messages - result.messages);
    write(n);
    result.messages += n;
    o.progress?.(result.messages);
    // Let the hub's timers (and its write batcher) run between transactions.
    await new Promise((r) => setImmediate(r));
  }
  result.seconds = (performance.now() - started) / 1000;
  return result;
}

/** A binary min-heap (the conversation whose next message is due first on top). */
class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly less: (a: T, b: T) => number) {}

  push(x: T): void {
    const a = this.items;
    a.push(x);
    for (let i = a.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (this.less(a[i], a[p]) >= 0) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }

  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l], a[m]) < 0) m = l;
        if (r < a.length && this.less(a[r], a[m]) < 0) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}
