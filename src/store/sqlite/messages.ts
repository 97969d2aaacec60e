/**
 * The message log, the per-recipient deliveries (inboxes) that point into it, and who is in each
 * thread: the sender and recipients of a thread's root message through the root itself, everyone
 * who joined later through a `thread_participants` row (see `joinThreadOf`).
 */
import { ftsMatch } from './fts.js';
import { StatementCache } from './statements.js';
import { ThreadRoots } from '../thread-roots.js';
import type { Database, Statement } from 'better-sqlite3';
import type {
  AckResult,
  DeliveryRef,
  DeliveryStatus,
  InboxEntry,
  InboxQuery,
  InsertMessageResult,
  MessageRecord,
  NewMessage,
} from '../types.js';
import { type InboxRow, type MessageRow, toMessage } from '../rows/messages.js';

export class MessageTable {
  private readonly dynamic: StatementCache;
  private readonly insertMsg: Statement;
  private readonly insertDelivery: Statement;
  private readonly byIdempotency: Statement;
  private readonly byId: Statement;
  private readonly deliveriesOf: Statement;
  private readonly latest: Statement;
  private readonly unread: Statement;
  private readonly unreadExpired: Statement;
  private readonly participant: Statement;
  private readonly thread: Statement;
  private readonly threadAll: Statement;
  private readonly joinThread: Statement;
  private readonly rootOf: Statement;
  private readonly roots = new ThreadRoots();
  private readonly inThread: Statement;
  private readonly threadKnown: Statement;
  private readonly searchWords: Statement;
  private readonly markOne: Statement;
  private readonly ackLookup: Statement;
  private readonly ackOne: Statement;

  constructor(private readonly db: Database) {
    this.dynamic = new StatementCache(db);
    this.insertMsg = db.prepare(`INSERT INTO messages
      (id, from_agent, to_spec, type, subject, body, thread_id, reply_to, correlation_id, importance,
       ack_required, project, created_at, expires_at, idempotency_key, recipients, sent_by_admin)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    // Unread counts: every unread delivery (the partial index alone, no message lookup), less the
    // unread ones whose message has expired (from the expiry index: only messages with a TTL).
    this.unread = db.prepare(
      'SELECT count(*) AS n FROM deliveries INDEXED BY deliveries_unread WHERE agent_id = ? AND read_at IS NULL',
    );
    this.unreadExpired = db.prepare(`SELECT d.agent_id AS agentId, count(*) AS n
      FROM messages m INDEXED BY messages_expiry JOIN deliveries d ON d.message_seq = m.seq
      WHERE m.expires_at IS NOT NULL AND m.expires_at <= ? AND d.read_at IS NULL
        AND d.agent_id IN (SELECT value FROM json_each(?))
      GROUP BY d.agent_id`);
    this.insertDelivery = db.prepare('INSERT INTO deliveries (agent_id, message_seq) VALUES (?, ?)');
    this.byIdempotency = db.prepare('SELECT * FROM messages WHERE from_agent = ? AND idempotency_key = ?');
    this.byId = db.prepare('SELECT * FROM messages WHERE id = ?');
    this.deliveriesOf = db.prepare(
      'SELECT agent_id, cursor, read_at, acked_at FROM deliveries WHERE message_seq = ? ORDER BY cursor',
    );
    this.latest = db.prepare('SELECT MAX(cursor) AS c FROM deliveries WHERE agent_id = ?');
    this.participant = db.prepare(
      `SELECT 1 FROM messages m WHERE m.seq = ? AND (m.from_agent = ?
         OR EXISTS (SELECT 1 FROM deliveries d WHERE d.message_seq = m.seq AND d.agent_id = ?))`,
    );
    // Visibility first, then the limit: a participant gets its own messages of a busy thread.
    this.thread = db.prepare(`SELECT * FROM messages m WHERE m.thread_id = ? AND (m.from_agent = ?
         OR EXISTS (SELECT 1 FROM deliveries d WHERE d.message_seq = m.seq AND d.agent_id = ?))
       ORDER BY m.seq LIMIT (? + 0)`);
    this.threadAll = db.prepare('SELECT * FROM messages WHERE thread_id = ? ORDER BY seq LIMIT (? + 0)');
    this.joinThread = db.prepare(
      'INSERT OR IGNORE INTO thread_participants (thread_id, agent_id) VALUES (?, ?)',
    );
    // A thread's root (the message whose id is the thread's id) has no participant rows: its sender
    // and recipients take part through the root itself. Rows hold everyone else (see `insert`).
    this.rootOf = db.prepare('SELECT from_agent, recipients FROM messages WHERE id = ? AND thread_id = id');
    this.inThread =
      db.prepare(`SELECT 1 FROM thread_participants WHERE thread_id = @thread AND agent_id = @agent
      UNION ALL
      SELECT 1 FROM messages r WHERE r.id = @thread AND r.thread_id = r.id AND (r.from_agent = @agent
        OR EXISTS (SELECT 1 FROM deliveries d WHERE d.message_seq = r.seq AND d.agent_id = @agent))
      LIMIT 1`);
    this.threadKnown = db.prepare('SELECT 1 FROM messages WHERE thread_id = ? LIMIT 1');
    // Newest first, so FTS5 streams the matches in rowid order and stops at the limit (no ranking of
    // every match); with a viewer the match itself is limited to the viewer's messages (see fts.ts).
    this.searchWords = db.prepare(`SELECT m.* FROM messages_search s JOIN messages m ON m.seq = s.rowid
      WHERE messages_search MATCH ? ORDER BY s.rowid DESC LIMIT (? + 0)`);
    this.markOne = db.prepare(
      'UPDATE deliveries SET read_at = ? WHERE agent_id = ? AND cursor = ? AND read_at IS NULL',
    );
    this.ackLookup = db.prepare(`SELECT d.cursor, d.acked_at, m.id, m.from_agent, m.ack_required
      FROM messages m JOIN deliveries d ON d.message_seq = m.seq WHERE m.id = ? AND d.agent_id = ?`);
    this.ackOne = db.prepare(
      'UPDATE deliveries SET acked_at = ?, read_at = COALESCE(read_at, ?) WHERE cursor = ?',
    );
  }

  /** Must run inside a write transaction: the idempotency check and the insert are one step. */
  insert(m: NewMessage): InsertMessageResult {
    if (m.idempotencyKey) {
      const earlier = this.findByIdempotencyKey(m.from, m.idempotencyKey);
      if (earlier) return earlier;
    }
    const info = this.insertMsg.run(
      m.id,
      m.from,
      JSON.stringify(m.to),
      m.type,
      m.subject,
      JSON.stringify(m.body),
      m.threadId,
      m.replyTo,
      m.correlationId,
      m.importance,
      m.ackRequired ? 1 : 0,
      m.project,
      m.createdAt,
      m.expiresAt,
      m.idempotencyKey,
      JSON.stringify(m.recipients),
      m.sentByAdmin ? 1 : 0,
    );
    const seq = Number(info.lastInsertRowid);
    const deliveries: DeliveryRef[] = m.recipients.map((agentId) => ({
      agentId,
      cursor: Number(this.insertDelivery.run(agentId, seq).lastInsertRowid),
    }));
    if (m.threadId === m.id) this.roots.remember(m.id, m.from, m.recipients);
    else this.joinThreadOf(m);
    return { message: { ...m, seq }, deliveries, duplicate: false };
  }

  /**
   * A message into an existing thread: its sender and recipients join the thread, those who are not
   * the sender or a recipient of the thread's root already (they take part through the root).
   * Without a root (none stored under the thread's id) everyone gets a row, as before.
   */
  private joinThreadOf(m: NewMessage): void {
    let implied = this.roots.get(m.threadId);
    if (!implied) {
      const root = this.rootOf.get(m.threadId) as { from_agent: string; recipients: string } | undefined;
      if (root) {
        implied = this.roots.remember(m.threadId, root.from_agent, JSON.parse(root.recipients) as string[]);
      }
    }
    for (const agentId of [m.from, ...m.recipients]) {
      if (!implied?.has(agentId)) this.joinThread.run(m.threadId, agentId);
    }
  }

  findByIdempotencyKey(from: string, key: string): InsertMessageResult | undefined {
    const row = this.byIdempotency.get(from, key) as MessageRow | undefined;
    if (!row) return undefined;
    const deliveries = (this.deliveriesOf.all(row.seq) as Array<{ agent_id: string; cursor: number }>).map(
      (d) => ({
        agentId: d.agent_id,
        cursor: d.cursor,
      }),
    );
    return { message: toMessage(row), deliveries, duplicate: true };
  }

  get(id: string): MessageRecord | undefined {
    const row = this.byId.get(id) as MessageRow | undefined;
    return row && toMessage(row);
  }

  deliveryStatus(messageId: string): DeliveryStatus[] {
    const msg = this.byId.get(messageId) as MessageRow | undefined;
    if (!msg) return [];
    return (
      this.deliveriesOf.all(msg.seq) as Array<{
        agent_id: string;
        cursor: number;
        read_at: string | null;
        acked_at: string | null;
      }>
    ).map((d) => ({ agentId: d.agent_id, cursor: d.cursor, readAt: d.read_at, ackedAt: d.acked_at }));
  }

  inbox(agentId: string, q: InboxQuery): InboxEntry[] {
    const where = ['d.agent_id = ?', 'd.cursor > ?', '(m.expires_at IS NULL OR m.expires_at > ?)'];
    const params: unknown[] = [agentId, q.afterCursor ?? 0, q.now];
    if (q.unreadOnly) where.push('d.read_at IS NULL');
    if (q.sinceTime) {
      where.push('m.created_at >= ?');
      params.push(q.sinceTime);
    }
    params.push(q.limit);
    // `LIMIT (? + 0)`, not `LIMIT ?`: SQLite 3.53 reads the value bound to a bare LIMIT while planning,
    // and any new binding of it (better-sqlite3 binds on every run) expires the statement, so every run
    // prepared it again (statements.ts). That made an empty inbox check (every wait_for_messages looks
    // once before it blocks) ~10x dearer: ~67 µs against ~6 µs. An expression is not read; same plan.
    const rows = this.dynamic
      .get(
        `SELECT m.*, d.cursor, d.read_at, d.acked_at FROM deliveries d JOIN messages m ON m.seq = d.message_seq
         WHERE ${where.join(' AND ')} ORDER BY d.cursor LIMIT (? + 0)`,
      )
      .all(...params) as InboxRow[];
    return rows.map((r) => ({
      cursor: r.cursor,
      readAt: r.read_at,
      ackedAt: r.acked_at,
      message: toMessage(r),
    }));
  }

  /**
   * Unread, unexpired messages in each agent's inbox: its unread deliveries (a count of the partial
   * index on them) less those whose message has expired by `now` (read through the expiry index).
   */
  unreadCounts(agentIds: string[], now: string): Map<string, number> {
    const out = new Map<string, number>();
    for (const id of agentIds) out.set(id, (this.unread.get(id) as { n: number }).n);
    if (agentIds.length === 0) return out;
    const expired = this.unreadExpired.all(now, JSON.stringify(agentIds)) as Array<{
      agentId: string;
      n: number;
    }>;
    for (const e of expired) out.set(e.agentId, (out.get(e.agentId) ?? 0) - e.n);
    return out;
  }

  latestCursor(agentId: string): number {
    return (this.latest.get(agentId) as { c: number | null }).c ?? 0;
  }

  markRead(agentId: string, cursors: number[], at: string): number {
    let changed = 0;
    for (const c of cursors) changed += this.markOne.run(at, agentId, c).changes;
    return changed;
  }

  ack(agentId: string, messageIds: string[], at: string): AckResult[] {
    const out: AckResult[] = [];
    for (const id of messageIds) {
      const row = this.ackLookup.get(id, agentId) as
        | { cursor: number; acked_at: string | null; id: string; from_agent: string; ack_required: number }
        | undefined;
      if (!row) continue;
      if (row.acked_at) {
        out.push({
          messageId: row.id,
          from: row.from_agent,
          ackRequired: row.ack_required === 1,
          ackedAt: row.acked_at,
          newlyAcked: false,
        });
        continue;
      }
      this.ackOne.run(at, at, row.cursor);
      out.push({
        messageId: row.id,
        from: row.from_agent,
        ackRequired: row.ack_required === 1,
        ackedAt: at,
        newlyAcked: true,
      });
    }
    return out;
  }

  /** The thread's messages, oldest first; with a viewer only those it sent or received. */
  listThread(threadId: string, viewer: string | null, limit: number): MessageRecord[] {
    const rows = viewer
      ? this.thread.all(threadId, viewer, viewer, limit)
      : this.threadAll.all(threadId, limit);
    return (rows as MessageRow[]).map(toMessage);
  }

  /** Whether the agent sent or received a message in the thread. */
  isThreadParticipant(threadId: string, agentId: string): boolean {
    return this.inThread.get({ thread: threadId, agent: agentId }) !== undefined;
  }

  threadExists(threadId: string): boolean {
    return this.threadKnown.get(threadId) !== undefined;
  }

  isParticipant(seq: number, agentId: string): boolean {
    return this.participant.get(seq, agentId, agentId) !== undefined;
  }

  /** Messages holding every term (subject or body), newest first; with a viewer, only its own. */
  search(terms: string[], viewer: string | null, limit: number): MessageRecord[] {
    return (this.searchWords.all(ftsMatch(terms, viewer), limit) as MessageRow[]).map(toMessage);
  }
}
