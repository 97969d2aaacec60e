/** DigestStore conformance: a thread's tail as each viewer sees it, and summaries per thread and view. */
import { expect, it } from 'vitest';
import type { ThreadSummaryRecord } from '../../src/store/digests.js';
import type { NewMessage, Store } from '../../src/store/types.js';
import { agentRecord } from '../helpers/agent-record.js';
import { describeStores } from '../helpers/stores.js';

const T0 = Date.parse('2026-12-06T10:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

const agent = (id: string) => agentRecord(id, at(0));

let n = 0;
function msg(from: string, recipients: string[], threadId: string): NewMessage {
  n++;
  return {
    id: `msg_${n}`,
    from,
    to: recipients.length === 1 ? recipients[0] : recipients,
    type: 'message',
    subject: `s${n}`,
    body: { text: `line ${n}`, z: 1, a: 2 },
    threadId,
    replyTo: null,
    correlationId: null,
    importance: 'normal',
    ackRequired: false,
    project: 'p1',
    createdAt: at(n),
    expiresAt: null,
    idempotencyKey: null,
    recipients,
    sentByAdmin: false,
  };
}

/** thr_1: a→b, b→a, a→c, c→b, a→b; thr_2: one message. */
async function threads(store: Store) {
  for (const id of ['ag_a', 'ag_b', 'ag_c']) await store.createAgent(agent(id));
  const sent: NewMessage[] = [];
  for (const [from, to] of [
    ['ag_a', 'ag_b'],
    ['ag_b', 'ag_a'],
    ['ag_a', 'ag_c'],
    ['ag_c', 'ag_b'],
    ['ag_a', 'ag_b'],
  ] as const) {
    const m = msg(from, [to], 'thr_1');
    await store.insertMessage(m);
    sent.push(m);
  }
  await store.insertMessage(msg('ag_b', ['ag_c'], 'thr_2'));
  return sent;
}

const summary = (extra: Partial<ThreadSummaryRecord> = {}): ThreadSummaryRecord => ({
  threadId: 'thr_1',
  scope: 'ag_b',
  summary: 'a and b agreed',
  instanceId: 'in_1',
  writtenBy: 'ag_summarizer',
  requestedBy: 'ag_b',
  messagesCovered: 4,
  lastMessageId: 'msg_5',
  createdAt: at(100),
  ...extra,
});

describeStores('digest store', (open) => {
  it('gives the newest messages oldest first and the thread’s size, whole or as a viewer sees it', async () => {
    const { store } = await open();
    const sent = await threads(store);
    const ids = (r: { messages: Array<{ id: string }> }) => r.messages.map((m) => m.id);

    const all = await store.digests.threadTail('thr_1', null, 3);
    expect(all.total).toBe(5);
    expect(ids(all)).toEqual([sent[2].id, sent[3].id, sent[4].id]);
    expect(all.messages[2]).toEqual({ ...sent[4], seq: all.messages[2].seq });
    expect(Object.keys(all.messages[0].body as object)).toEqual(['text', 'z', 'a']);
    expect(all.messages[0].seq).toBeLessThan(all.messages[1].seq);

    // ag_c sent one and received one of thr_1.
    const c = await store.digests.threadTail('thr_1', 'ag_c', 10);
    expect(c.total).toBe(2);
    expect(ids(c)).toEqual([sent[2].id, sent[3].id]);
    const b = await store.digests.threadTail('thr_1', 'ag_b', 2);
    expect(b.total).toBe(4);
    expect(ids(b)).toEqual([sent[3].id, sent[4].id]);

    expect(await store.digests.threadTail('thr_1', 'ag_stranger', 10)).toEqual({ messages: [], total: 0 });
    expect(await store.digests.threadTail('thr_none', null, 10)).toEqual({ messages: [], total: 0 });
    expect((await store.digests.threadTail('thr_2', null, 10)).total).toBe(1);
  });

  it('keeps one summary per thread and view, the newest replacing the last', async () => {
    const { store } = await open();
    expect(await store.digests.getSummary('thr_1', 'ag_b')).toBeUndefined();
    await store.digests.putSummary(summary());
    await store.digests.putSummary(summary({ scope: '*', requestedBy: null, messagesCovered: 5 }));
    expect(await store.digests.getSummary('thr_1', 'ag_b')).toEqual(summary());
    const newer = summary({
      summary: 'b changed its mind',
      instanceId: 'in_2',
      writtenBy: 'ag_other',
      requestedBy: null,
      messagesCovered: 6,
      lastMessageId: 'msg_9',
      createdAt: at(200),
    });
    await store.digests.putSummary(newer);
    expect(await store.digests.getSummary('thr_1', 'ag_b')).toEqual(newer);
    expect(await store.digests.getSummary('thr_1', '*')).toEqual(
      summary({ scope: '*', requestedBy: null, messagesCovered: 5 }),
    );
    expect(await store.digests.getSummary('thr_2', 'ag_b')).toBeUndefined();
  });

  it('leaves one whole summary when nodes write the same thread and view at once', async () => {
    const { store, peer } = await open();
    const nodes = [store, await peer(), await peer()];
    const writes = Array.from({ length: 15 }, (_, i) =>
      summary({ summary: `version ${i}`, instanceId: `in_${i}`, messagesCovered: i, createdAt: at(i) }),
    );
    await Promise.all(writes.map((s, i) => nodes[i % 3].digests.putSummary(s)));
    const kept = await nodes[1].digests.getSummary('thr_1', 'ag_b');
    expect(writes).toContainEqual(kept);
  });
});
