/**
 * Seeding many messages into a PostgreSQL store at once, for tests that need 100,000 of them: the
 * rows `insertMessage` would write (message, thread participants, inbox heads, deliveries), in a
 * few statements instead of a transaction per message. Sending that many one by one through a
 * cluster store takes minutes; the hub never does this, only test set-up.
 */
import type { PostgresStore } from '../../src/store/postgres/index.js';
import { searchArray } from '../../src/store/postgres/search.js';
import type { NewMessage } from '../../src/store/types.js';

export async function seedPgMessages(store: PostgresStore, messages: NewMessage[]): Promise<void> {
  if (messages.length === 0) return;
  const col = <T>(f: (m: NewMessage) => T) => messages.map(f);
  await store.db.tx(async (c) => {
    const inserted = await c.query<{ seq: number; id: string }>(
      `INSERT INTO messages (id, from_agent, to_spec, type, subject, body, thread_id, reply_to,
         correlation_id, importance, ack_required, project, created_at, expires_at, idempotency_key,
         recipients, sent_by_admin, search_words)
       SELECT c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, c17, c18::text[] FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
         $7::text[], $8::text[], $9::text[], $10::text[], $11::boolean[], $12::text[], $13::timestamptz[],
         $14::timestamptz[], $15::text[], $16::text[], $17::boolean[], $18::text[])
         AS u (c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, c17, c18)
       RETURNING seq, id`,
      [
        col((m) => m.id),
        col((m) => m.from),
        col((m) => JSON.stringify(m.to)),
        col((m) => m.type),
        col((m) => m.subject),
        col((m) => JSON.stringify(m.body)),
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
        col(
          (m) =>
            `{${searchArray(m.subject, JSON.stringify(m.body), [m.from, ...m.recipients])
              .map((w) => JSON.stringify(w))
              .join(',')}}`,
        ),
      ],
    );
    const seqOf = new Map(inserted.rows.map((r) => [r.id, r.seq]));
    const pairs = [
      ...new Set(messages.flatMap((m) => [m.from, ...m.recipients].map((a) => `${m.threadId}\n${a}`))),
    ];
    await c.query(
      `INSERT INTO thread_participants (thread_id, agent_id)
       SELECT split_part(x, E'\\n', 1), split_part(x, E'\\n', 2) FROM unnest($1::text[]) AS x ON CONFLICT DO NOTHING`,
      [pairs],
    );
    // Each inbox's head moves by its number of new deliveries; they take the numbers below it, in order.
    const perInbox = new Map<string, number[]>();
    for (const m of messages)
      for (const r of m.recipients) {
        const list = perInbox.get(r) ?? [];
        list.push(seqOf.get(m.id)!);
        perInbox.set(r, list);
      }
    const inboxes = [...perInbox.keys()].sort();
    const heads = await c.query<{ agent_id: string; head: number }>(
      `INSERT INTO inbox_heads (agent_id, head) SELECT * FROM unnest($1::text[], $2::bigint[])
       ON CONFLICT (agent_id) DO UPDATE SET head = inbox_heads.head + excluded.head RETURNING agent_id, head`,
      [inboxes, inboxes.map((a) => perInbox.get(a)!.length)],
    );
    const agents: string[] = [];
    const cursors: number[] = [];
    const seqs: number[] = [];
    for (const h of heads.rows) {
      const list = perInbox.get(h.agent_id)!;
      list.forEach((seq, i) => {
        agents.push(h.agent_id);
        cursors.push(h.head - list.length + 1 + i);
        seqs.push(seq);
      });
    }
    await c.query(
      `INSERT INTO deliveries (agent_id, cursor, message_seq)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[])`,
      [agents, cursors, seqs],
    );
  });
}
