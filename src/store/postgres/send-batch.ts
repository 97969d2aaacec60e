/**
 * Group commit of sends on PostgreSQL: the sends that arrive while earlier ones are being written
 * go to the database together, as ONE statement (so one round trip and one implicit transaction):
 * the messages, their inbox positions and deliveries, and the thread participants, in a chain of
 * data-modifying CTEs. A send's promise settles only after that statement (its transaction) has
 * committed, and a statement is atomic: every send of a batch is stored whole, or none is.
 *
 * Why it is exact (the rules of messages.ts's header hold per send, whatever the batch):
 * - Cursors: the batch bumps each recipient's head once by its number of deliveries in the batch
 *   (`INSERT … ON CONFLICT DO UPDATE head = head + n`, which in READ COMMITTED updates the newest
 *   committed row version and takes its row lock) and hands out `head - n + 1 … head` in batch
 *   order. The locks are held until the statement's transaction commits, which happens in the
 *   server right after the statement, with no client round trip while they are held; heads are
 *   bumped in sorted id order (no deadlock between batches; a deadlock or serialization failure
 *   would still rerun the statement, which is safe: it either committed whole or not at all).
 *   So each inbox stays dense and increasing in commit order.
 * - Idempotency: the partial unique index on (from_agent, idempotency_key) makes an insert that
 *   meets a key being written elsewhere wait for that transaction, then do nothing (`ON CONFLICT DO
 *   NOTHING`); such a send gets no deliveries here and is answered with the earlier message, read
 *   after the statement. Two sends with one key never share a batch (the second waits for the next).
 * - A send that fails (a NUL in its text, say) fails its batch whole; the batch is then written again
 *   one send per statement, so only the faulty send fails.
 *
 * Thread participants (as on SQLite): a thread's root message (its id is the thread's id) stands for
 * its own sender and recipients, so it writes no `thread_participants` rows, and a later message
 * writes rows only for agents the root does not name. The root's participants come from this node's
 * `ThreadRoots` when it remembers them (a root never changes, so that is exact on every node), or
 * from the batch itself (a root without an idempotency key is stored if its statement commits), else
 * from the root as stored, read just before the statement (`readRoots`) and then remembered; a
 * thread with no root found gets a row for everyone. Too many rows is the only possible error (a
 * root committed after that read, or by another statement of a batch written again one send at a
 * time): never a missing participant.
 */
import type { DeliveryRef, InsertMessageResult, NewMessage } from '../types.js';
import { ThreadRoots } from '../thread-roots.js';
import type { PgDatabase } from './database.js';
import { searchArray } from './search.js';

/**
 * Sends in one statement at most, and their bodies' total size (a batch is closed at the send that
 * passes it); batches being written at once at most (sends queue meanwhile).
 */
const BATCH_MAX = 200;
const BATCH_BYTES = 4 * 1024 * 1024;
const IN_FLIGHT_MAX = 2;

interface Pending {
  m: NewMessage;
  resolve(r: InsertMessageResult | { duplicateOf: NewMessage }): void;
  reject(err: unknown): void;
}

/** What the statement returns: one row per stored message, one per delivery. */
interface Placed {
  message_id: string | null;
  seq: number;
  agent_id: string | null;
  cursor: number | null;
}

/**
 * The statement, in two forms (each a constant text): `none` when no message of the batch needs a
 * participant row (every one a root, or a reply whose root names its sender and recipients: the
 * common case), `rows` otherwise. Leaving out what a batch does not need matters for small batches:
 * the statement is planned on every run, and a one-send statement spends about as long being
 * planned as being executed (so the roots of threads not remembered are read by a statement of their
 * own, before, rather than in this one: that made its planning half as long again).
 */
type Form = 'none' | 'rows';

// The leading comment names the statement in pg_stat_activity (which keeps a query's first 1 kB).
const sendBatch = (form: Form) => `/* switchboard send batch: messages, inbox_heads, deliveries${
  form === 'none' ? '' : ', thread_participants'
} */
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
    $7::text[], $8::text[], $9::text[], $10::text[], $11::boolean[], $12::text[], $13::timestamptz[],
    $14::timestamptz[], $15::text[], $16::text[], $17::boolean[], $18::text[])
    WITH ORDINALITY AS t(id, from_agent, to_spec, type, subject, body, thread_id, reply_to,
      correlation_id, importance, ack_required, project, created_at, expires_at, idempotency_key,
      recipients, sent_by_admin, words, n)
),
ins AS (
  INSERT INTO messages (id, from_agent, to_spec, type, subject, body, thread_id, reply_to,
    correlation_id, importance, ack_required, project, created_at, expires_at, idempotency_key,
    recipients, sent_by_admin, search_words)
  SELECT id, from_agent, to_spec, type, subject, body, thread_id, reply_to, correlation_id, importance,
    ack_required, project, created_at, expires_at, idempotency_key, recipients, sent_by_admin,
    string_to_array(words, ' ')
  FROM input ORDER BY n
  ON CONFLICT (from_agent, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
  RETURNING id, seq
),
rcpt AS (
  SELECT r.agent_id, r.k, ins.seq
  FROM unnest($19::text[], $20::text[]) WITH ORDINALITY AS r(message_id, agent_id, k)
  JOIN ins ON ins.id = r.message_id
),
heads AS (
  INSERT INTO inbox_heads (agent_id, head)
  SELECT agent_id, count(*) FROM rcpt GROUP BY agent_id ORDER BY agent_id
  ON CONFLICT (agent_id) DO UPDATE SET head = inbox_heads.head + excluded.head
  RETURNING agent_id, head
),
dels AS (
  INSERT INTO deliveries (agent_id, cursor, message_seq)
  SELECT w.agent_id, h.head - w.cnt + w.rn, w.seq
  FROM (SELECT agent_id, seq, row_number() OVER (PARTITION BY agent_id ORDER BY k) AS rn,
               count(*) OVER (PARTITION BY agent_id) AS cnt
        FROM rcpt) AS w
  JOIN heads h ON h.agent_id = w.agent_id
  RETURNING agent_id, cursor, message_seq
)${
  form === 'none'
    ? ''
    : `,
parts AS (
  INSERT INTO thread_participants (thread_id, agent_id)
  SELECT DISTINCT p.thread_id, p.agent_id
  FROM unnest($21::text[], $22::text[], $23::text[]) AS p(message_id, thread_id, agent_id)
  JOIN ins ON ins.id = p.message_id
  ORDER BY 1, 2
  ON CONFLICT DO NOTHING
)`
}
SELECT id AS message_id, seq, NULL::text AS agent_id, NULL::bigint AS cursor FROM ins
UNION ALL
SELECT NULL, message_seq, agent_id, cursor FROM dels`;

const SEND_BATCH: Record<Form, string> = {
  none: sendBatch('none'),
  rows: sendBatch('rows'),
};

/**
 * Roots stored by the batch's own statement (which cannot read its own inserts): one without an
 * idempotency key is stored if the statement commits at all; one with a key may be skipped as a
 * duplicate, so it is not counted on (its replies' threads are looked up; not found: a row for everyone).
 */
function batchRoots(batch: NewMessage[]): Map<string, ReadonlySet<string>> {
  const out = new Map<string, ReadonlySet<string>>();
  for (const m of batch) {
    if (m.threadId === m.id && m.idempotencyKey === null) out.set(m.id, new Set([m.from, ...m.recipients]));
  }
  return out;
}

/** The threads the batch continues whose root is neither remembered nor in the batch. */
function unknownThreads(batch: NewMessage[], roots: ThreadRoots, inBatch: Map<string, unknown>): string[] {
  const out = new Set<string>();
  for (const m of batch) {
    if (m.threadId !== m.id && !roots.get(m.threadId) && !inBatch.has(m.threadId)) out.add(m.threadId);
  }
  return [...out];
}

/**
 * The stored roots of `threads`, remembered. One look-up of the unique id index per thread: LIMIT 1
 * keeps the subquery a parameterized index scan (joined flat, a table the statistics still thought
 * small was read whole).
 */
async function readRoots(db: PgDatabase, threads: string[], roots: ThreadRoots): Promise<void> {
  const { rows } = await db.reader.query<{ id: string; from_agent: string; recipients: string }>(
    `SELECT t.id, r.from_agent, r.recipients FROM unnest($1::text[]) AS t(id)
     CROSS JOIN LATERAL (SELECT from_agent, recipients FROM messages
       WHERE id = t.id AND thread_id = t.id LIMIT 1) AS r`,
    [threads],
  );
  for (const r of rows) roots.remember(r.id, r.from_agent, JSON.parse(r.recipients) as string[]);
}

/**
 * The statement's form and parameters for a batch (columns as arrays, recipients and participants
 * flattened): a root message has no participant candidates; a later one has its sender and
 * recipients but those its root names (remembered or in the batch); a thread whose root is neither
 * gets a row for everyone.
 */
function parameters(
  batch: NewMessage[],
  roots: ThreadRoots,
  inBatch: Map<string, ReadonlySet<string>>,
): { form: Form; params: unknown[] } {
  const col = <T>(f: (m: NewMessage) => T): T[] => batch.map(f);
  const rcptMessage: string[] = [];
  const rcptAgent: string[] = [];
  const partMessage: string[] = [];
  const partThread: string[] = [];
  const partAgent: string[] = [];
  for (const m of batch) {
    for (const agentId of new Set(m.recipients)) {
      rcptMessage.push(m.id);
      rcptAgent.push(agentId);
    }
    if (m.threadId === m.id) continue; // a root: its sender and recipients take part through it
    const implied = roots.get(m.threadId) ?? inBatch.get(m.threadId);
    for (const agentId of new Set([m.from, ...m.recipients])) {
      if (implied?.has(agentId)) continue;
      partMessage.push(m.id);
      partThread.push(m.threadId);
      partAgent.push(agentId);
    }
  }
  const bodies = col((m) => JSON.stringify(m.body));
  const params: unknown[] = [
    col((m) => m.id),
    col((m) => m.from),
    col((m) => JSON.stringify(m.to)),
    col((m) => m.type),
    col((m) => m.subject),
    bodies,
    col((m) => m.threadId),
    col((m) => m.replyTo),
    col((m) => m.correlationId),
    col((m) => m.importance),
    col((m) => m.ackRequired),
    col((m) => m.project),
    col((m) => m.createdAt),
    col((m) => m.expiresAt),
    col((m) => m.idempotencyKey),
    col((m) => JSON.stringify(m.recipients)),
    col((m) => m.sentByAdmin ?? false),
    // No word holds a space (search.ts), so the words travel as one text each.
    batch.map((m, i) => searchArray(m.subject, bodies[i], [m.from, ...m.recipients]).join(' ')),
    rcptMessage,
    rcptAgent,
  ];
  if (partMessage.length > 0)
    return { form: 'rows', params: [...params, partMessage, partThread, partAgent] };
  return { form: 'none', params };
}

export class SendBatcher {
  private queue: Pending[] = [];
  private inFlight = 0;
  private scheduled = false;
  /** Batches written and sends in them: for benchmarks and tests. */
  readonly stats = { batches: 0, sends: 0 };

  constructor(
    private readonly db: PgDatabase,
    private readonly roots: ThreadRoots = new ThreadRoots(),
  ) {}

  /**
   * Stores `m` (in some batch); resolves after its batch committed. A send whose idempotency key
   * was taken meanwhile resolves to `{ duplicateOf }`: the caller reads the earlier message.
   */
  send(m: NewMessage): Promise<InsertMessageResult | { duplicateOf: NewMessage }> {
    return new Promise((resolve, reject) => {
      this.queue.push({ m, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= IN_FLIGHT_MAX || this.queue.length === 0) return;
    this.scheduled = true;
    // The next turn of the event loop: the sends arriving in this one join the batch.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.inFlight >= IN_FLIGHT_MAX || this.queue.length === 0) return;
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    const keys = new Set<string>();
    let bytes = 0;
    for (const p of this.queue) {
      const key = p.m.idempotencyKey === null ? null : JSON.stringify([p.m.from, p.m.idempotencyKey]);
      if (batch.length >= BATCH_MAX || bytes >= BATCH_BYTES || (key !== null && keys.has(key))) {
        rest.push(p);
        continue;
      }
      if (key !== null) keys.add(key);
      // A body is JSON; its string length is close enough to its size for a bound.
      bytes += typeof p.m.body === 'string' ? p.m.body.length : JSON.stringify(p.m.body).length;
      batch.push(p);
    }
    this.queue = rest;
    this.inFlight++;
    void this.write(batch).finally(() => {
      this.inFlight--;
      this.schedule();
    });
    this.schedule();
  }

  private async write(batch: Pending[]): Promise<void> {
    try {
      const outcomes = await this.store(batch.map((p) => p.m));
      batch.forEach((p, i) => p.resolve(outcomes[i]));
      this.stats.batches++;
      this.stats.sends += batch.length;
      return;
    } catch (err) {
      if (batch.length === 1) {
        batch[0].reject(err);
        return;
      }
    }
    // One faulty send failed the batch (nothing of it was stored): each send alone, so only it fails.
    await Promise.all(
      batch.map(async (p) => {
        try {
          p.resolve((await this.store([p.m]))[0]);
          this.stats.batches++;
          this.stats.sends++;
        } catch (err) {
          p.reject(err);
        }
      }),
    );
  }

  private store(batch: NewMessage[]): Promise<Array<InsertMessageResult | { duplicateOf: NewMessage }>> {
    return writeSendBatch(this.db, batch, this.roots);
  }
}

/**
 * One statement for the batch (any size: the batcher bounds what it groups; bulk seeding writes more);
 * each send's result in batch order. The roots the batch stored are remembered in `roots` once the
 * statement has committed (never before: a failed batch stored none); roots read before it are
 * remembered at once (they were stored already).
 */
export async function writeSendBatch(
  db: PgDatabase,
  batch: NewMessage[],
  roots: ThreadRoots = new ThreadRoots(),
): Promise<Array<InsertMessageResult | { duplicateOf: NewMessage }>> {
  const inBatch = batchRoots(batch);
  const unknown = unknownThreads(batch, roots, inBatch);
  if (unknown.length > 0) await readRoots(db, unknown, roots);
  const { form, params } = parameters(batch, roots, inBatch);
  const rows = await db.statement<Placed>(SEND_BATCH[form], params);
  const seqs = new Map<string, number>();
  const cursors = new Map<number, Map<string, number>>();
  for (const r of rows) {
    if (r.message_id !== null) seqs.set(r.message_id, r.seq);
    else {
      let of = cursors.get(r.seq);
      if (!of) cursors.set(r.seq, (of = new Map()));
      of.set(r.agent_id!, r.cursor!);
    }
  }
  return batch.map((m) => {
    const seq = seqs.get(m.id);
    if (seq === undefined) {
      if (m.idempotencyKey === null) throw new Error(`message ${m.id} was not stored`);
      return { duplicateOf: m };
    }
    if (m.threadId === m.id && !roots.get(m.id)) roots.remember(m.id, m.from, m.recipients);
    const of = cursors.get(seq);
    const deliveries: DeliveryRef[] = m.recipients.map((agentId) => ({
      agentId,
      cursor: of!.get(agentId)!,
    }));
    return { message: { ...m, seq }, deliveries, duplicate: false };
  });
}
