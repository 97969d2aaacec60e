/**
 * The message log and the per-recipient deliveries (inboxes) on PostgreSQL: sending with
 * idempotency, inboxes read by cursor, unread counts, read marks and acknowledgements.
 *
 * Cursors. A reader resumes "after cursor N", so within one inbox a delivery must never become
 * visible below a cursor the reader has already passed. A sequence cannot promise that: numbers are
 * taken at insert and transactions commit in any order, so a slow send holding 41 can commit after
 * 42 was read, and a reader at 42 would skip 41 for ever. Instead each inbox has a head row in
 * `inbox_heads`; a send bumps the head of each recipient (`INSERT … ON CONFLICT DO UPDATE head =
 * head + 1`, which takes the row lock) and keeps the locks until it commits. A second send to the
 * same recipient waits on that row, so it gets the next number only after the first committed (or
 * rolled back: then it reuses the number, no gap). Cursors are therefore dense per inbox and
 * increase in commit order. Heads are bumped in sorted id order, so two sends to overlapping
 * recipients lock in one order and cannot deadlock (a deadlock would still just be retried by tx()).
 * Sends are group-committed (send-batch.ts): those arriving together are one statement, so the
 * head locks are held only while the server runs it, never across a client round trip.
 * The price: sends to one inbox commit one at a time, and a send to several inboxes holds the heads
 * it has while it waits for a busy one (so a send to one of those waits as well; so does a send
 * batched with it).
 * Cursors are per inbox: cursors of different agents are unrelated numbers.
 */
import type {
  AckResult,
  DeliveryStatus,
  InboxEntry,
  InboxQuery,
  InsertMessageResult,
  MessageRecord,
  NewMessage,
} from '../types.js';
import type { PgDatabase, Queryable } from './database.js';
import { type InboxRow, type MessageRow, toMessage } from '../rows/messages.js';
import { MESSAGE_COLUMNS } from './message-rows.js';
import { SendBatcher } from './send-batch.js';
import { ThreadRoots } from '../thread-roots.js';

interface DeliveryRow {
  agent_id: string;
  cursor: number;
  read_at: string | null;
  acked_at: string | null;
}

/** A message's deliveries in the order of its recipients (as SQLite lists them). */
async function deliveriesOf(c: Queryable, message: MessageRecord): Promise<DeliveryRow[]> {
  const rows = (
    await c.query<DeliveryRow>(
      'SELECT agent_id, cursor, read_at, acked_at FROM deliveries WHERE message_seq = $1',
      [message.seq],
    )
  ).rows;
  const order = new Map(message.recipients.map((id, i) => [id, i]));
  return rows.sort((a, b) => (order.get(a.agent_id) ?? 0) - (order.get(b.agent_id) ?? 0));
}

async function byIdempotencyKey(
  c: Queryable,
  from: string,
  key: string,
): Promise<InsertMessageResult | undefined> {
  const row = (
    await c.query<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.from_agent = $1 AND m.idempotency_key = $2`,
      [from, key],
    )
  ).rows[0];
  if (!row) return undefined;
  const message = toMessage(row);
  const deliveries = (await deliveriesOf(c, message)).map((d) => ({ agentId: d.agent_id, cursor: d.cursor }));
  return { message, deliveries, duplicate: true };
}

export class PgMessages {
  private readonly batcher: SendBatcher;

  /** `roots`: the thread roots this node remembers, shared with threads.ts (see send-batch.ts). */
  constructor(
    private readonly db: PgDatabase,
    roots: ThreadRoots = new ThreadRoots(),
  ) {
    this.batcher = new SendBatcher(db, roots);
  }

  /**
   * Group-committed (send-batch.ts): the sends arriving together are stored by one statement, and
   * each resolves after it committed. A send whose idempotency key another send (on this node or
   * another) stored first is answered with that earlier message as a duplicate: the unique index
   * made the insert wait for the other transaction and then do nothing, so the earlier one is
   * committed by the time it is read here.
   */
  async insert(m: NewMessage): Promise<InsertMessageResult> {
    const out = await this.batcher.send(m);
    if (!('duplicateOf' in out)) return out;
    const earlier = await byIdempotencyKey(this.db.reader, m.from, m.idempotencyKey!);
    if (earlier) return earlier;
    throw new Error(`idempotency key of ${m.from} conflicted but no message holds it`);
  }

  async findByIdempotencyKey(from: string, key: string): Promise<InsertMessageResult | undefined> {
    return byIdempotencyKey(this.db.reader, from, key);
  }

  async get(id: string): Promise<MessageRecord | undefined> {
    const row = (
      await this.db.query<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.id = $1`, [id])
    )[0];
    return row && toMessage(row);
  }

  async deliveryStatus(messageId: string): Promise<DeliveryStatus[]> {
    const message = await this.get(messageId);
    if (!message) return [];
    return (await deliveriesOf(this.db.reader, message)).map((d) => ({
      agentId: d.agent_id,
      cursor: d.cursor,
      readAt: d.read_at,
      ackedAt: d.acked_at,
    }));
  }

  async inbox(agentId: string, q: InboxQuery): Promise<InboxEntry[]> {
    const where = [
      'd.agent_id = $1',
      'd.cursor > $2',
      '(m.expires_at IS NULL OR m.expires_at > $3::timestamptz)',
    ];
    const params: unknown[] = [agentId, q.afterCursor ?? 0, q.now];
    if (q.unreadOnly) where.push('d.read_at IS NULL');
    if (q.sinceTime) {
      params.push(q.sinceTime);
      where.push(`m.created_at >= $${params.length}::timestamptz`);
    }
    params.push(q.limit);
    const rows = await this.db.query<InboxRow>(
      `SELECT ${MESSAGE_COLUMNS}, d.cursor, d.read_at, d.acked_at
       FROM deliveries d JOIN messages m ON m.seq = d.message_seq
       WHERE ${where.join(' AND ')} ORDER BY d.cursor LIMIT $${params.length}`,
      params,
    );
    return rows.map((r) => ({
      cursor: r.cursor,
      readAt: r.read_at,
      ackedAt: r.acked_at,
      message: toMessage(r),
    }));
  }

  /** Unread, unexpired deliveries per agent (every id given gets an entry, 0 when none). */
  async unreadCounts(agentIds: string[], now: string): Promise<Map<string, number>> {
    const out = new Map<string, number>(agentIds.map((id) => [id, 0]));
    if (agentIds.length === 0) return out;
    const rows = await this.db.query<{ agent_id: string; n: number }>(
      `SELECT d.agent_id, count(*) AS n FROM deliveries d JOIN messages m ON m.seq = d.message_seq
       WHERE d.agent_id = ANY($1::text[]) AND d.read_at IS NULL
         AND (m.expires_at IS NULL OR m.expires_at > $2::timestamptz)
       GROUP BY d.agent_id`,
      [[...new Set(agentIds)], now],
    );
    for (const r of rows) out.set(r.agent_id, r.n);
    return out;
  }

  async latestCursor(agentId: string): Promise<number> {
    const rows = await this.db.query<{ c: number | null }>(
      'SELECT max(cursor) AS c FROM deliveries WHERE agent_id = $1',
      [agentId],
    );
    return rows[0].c ?? 0;
  }

  /** Marks unread deliveries read; a delivery read already (here or on another node) is not counted. */
  async markRead(agentId: string, cursors: number[], at: string): Promise<number> {
    if (cursors.length === 0) return 0;
    return this.db.tx(async (c) => {
      const r = await c.query(
        `UPDATE deliveries SET read_at = $1
         WHERE agent_id = $2 AND cursor = ANY($3::bigint[]) AND read_at IS NULL`,
        [at, agentId, [...new Set(cursors)].sort((a, b) => a - b)],
      );
      return r.rowCount ?? 0;
    });
  }

  /**
   * Acknowledges each message the agent received. A conditional UPDATE (`acked_at IS NULL`) makes
   * it exact across nodes: of two nodes acking at once, the second waits for the row, finds it
   * acked and reports `newlyAcked: false` with the first one's time.
   */
  ack(agentId: string, messageIds: string[], at: string): Promise<AckResult[]> {
    type Row = { id: string; from_agent: string; ack_required: boolean; acked_at: string | null };
    return this.db.tx(async (c) => {
      const out: AckResult[] = [];
      for (const id of messageIds) {
        const fresh = (
          await c.query<Row>(
            `UPDATE deliveries d SET acked_at = $3, read_at = COALESCE(d.read_at, $3)
             FROM messages m
             WHERE m.id = $1 AND d.message_seq = m.seq AND d.agent_id = $2 AND d.acked_at IS NULL
             RETURNING m.id, m.from_agent, m.ack_required, d.acked_at`,
            [id, agentId, at],
          )
        ).rows[0];
        const row =
          fresh ??
          (
            await c.query<Row>(
              `SELECT m.id, m.from_agent, m.ack_required, d.acked_at
               FROM messages m JOIN deliveries d ON d.message_seq = m.seq
               WHERE m.id = $1 AND d.agent_id = $2`,
              [id, agentId],
            )
          ).rows[0];
        if (!row?.acked_at) continue;
        out.push({
          messageId: row.id,
          from: row.from_agent,
          ackRequired: row.ack_required,
          ackedAt: row.acked_at,
          newlyAcked: fresh !== undefined,
        });
      }
      return out;
    });
  }
}
