/**
 * Store conformance for agents, messages (inboxes, threads, search, acks, idempotency), topics and
 * delivery settings: every test runs on SQLite and on PostgreSQL, and the cross-node races run on
 * several stores sharing one database (`peer()`, a second node).
 */
import { expect, it } from 'vitest';
import type { PostgresStore } from '../../src/store/postgres/index.js';
import type { AgentRecord, InsertMessageResult, NewMessage, Store } from '../../src/store/types.js';
import { describeStores } from '../helpers/stores.js';
import { agentRecord } from '../helpers/agent-record.js';
import { until, withDeadline } from '../helpers/wait.js';

const T0 = Date.parse('2026-12-06T10:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

let agentCounter = 0;
function agent(id: string, extra: Partial<AgentRecord> = {}): AgentRecord {
  return agentRecord(id, at(0), { tokenHash: `hash-${id}-${++agentCounter}`, ...extra });
}

let messageCounter = 0;
function msg(from: string, recipients: string[], extra: Partial<NewMessage> = {}): NewMessage {
  messageCounter++;
  return {
    id: `msg_${messageCounter}_${Math.random().toString(36).slice(2, 8)}`,
    from,
    to: recipients.length === 1 ? recipients[0] : recipients,
    type: 'message',
    subject: null,
    body: { text: `hello ${messageCounter}` },
    threadId: `thr_${messageCounter}`,
    replyTo: null,
    correlationId: null,
    importance: 'normal',
    ackRequired: false,
    project: 'p1',
    createdAt: at(1),
    expiresAt: null,
    idempotencyKey: null,
    recipients,
    sentByAdmin: false,
    ...extra,
  };
}

async function agents(store: Store, ...ids: string[]) {
  for (const id of ids) await store.createAgent(agent(id));
}

describeStores('agents', (open) => {
  it('creates, reads back by id and by token hash, and refuses a second agent with one id', async () => {
    const { store } = await open();
    const a = agent('ag_a', {
      role: 'builder',
      description: 'builds',
      capabilities: ['ts', 'sql'],
      metadata: { z: 1, a: { nested: [1, 2] } },
      sessionId: 'sess-1',
    });
    await store.createAgent(a);
    expect(await store.getAgent('ag_a')).toEqual(a);
    expect(Object.keys((await store.getAgent('ag_a'))!.metadata)).toEqual(['z', 'a']);
    expect(await store.findAgentByTokenHash(a.tokenHash)).toEqual(a);
    expect(await store.getAgent('ag_missing')).toBeUndefined();
    expect(await store.findAgentByTokenHash('nope')).toBeUndefined();
    const err = await store.createAgent(agent('ag_a')).catch((e) => e);
    expect(err.code).toBe('conflict');
    expect(await store.getAgent('ag_a')).toEqual(a);
  });

  it('updates only the fields given, keeps the capability index in step, and answers undefined for nobody', async () => {
    const { store } = await open();
    await store.createAgent(agent('ag_a', { capabilities: ['x'] }));
    const updated = await store.updateAgent('ag_a', {
      name: 'renamed',
      capabilities: ['y', 'z'],
      metadata: { k: 'v' },
      declaredStatus: 'busy',
      retiredAt: at(5),
    });
    expect(updated).toMatchObject({
      id: 'ag_a',
      name: 'renamed',
      capabilities: ['y', 'z'],
      metadata: { k: 'v' },
      declaredStatus: 'busy',
      retiredAt: at(5),
      createdAt: at(0),
    });
    expect(await store.getAgent('ag_a')).toEqual(updated);
    await store.updateAgent('ag_a', { retiredAt: null });
    expect((await store.listAgents({ capability: 'x' })).map((a) => a.id)).toEqual([]);
    expect((await store.listAgents({ capability: 'z' })).map((a) => a.id)).toEqual(['ag_a']);
    expect(await store.updateAgent('ag_nobody', { name: 'x' })).toBeUndefined();
    expect(await store.updateAgent('ag_a', {})).toEqual(await store.getAgent('ag_a'));
  });

  it('lists oldest first, ids in byte order on a tie, with every filter and a limit', async () => {
    const { store } = await open();
    await store.createAgent(agent('ag_b', { createdAt: at(1), capabilities: ['c1'], role: 'r1' }));
    await store.createAgent(agent('ag_A', { createdAt: at(1), project: 'p2', metadata: { m: 1 } }));
    await store.createAgent(agent('ag_a', { createdAt: at(1), capabilities: ['c1', 'c2'] }));
    await store.createAgent(agent('ag_0', { createdAt: at(2), role: 'r1', retiredAt: at(3) }));
    const ids = async (f: Parameters<Store['listAgents']>[0]) => (await store.listAgents(f)).map((a) => a.id);
    expect(await ids({})).toEqual(['ag_A', 'ag_a', 'ag_b']);
    expect(await ids({ includeRetired: true })).toEqual(['ag_A', 'ag_a', 'ag_b', 'ag_0']);
    expect(await ids({ project: 'p2' })).toEqual(['ag_A']);
    expect(await ids({ role: 'r1' })).toEqual(['ag_b']);
    expect(await ids({ role: 'r1', includeRetired: true })).toEqual(['ag_b', 'ag_0']);
    expect(await ids({ capability: 'c1' })).toEqual(['ag_a', 'ag_b']);
    expect(await ids({ capability: 'c2', project: 'p1' })).toEqual(['ag_a']);
    expect(await ids({ ids: ['ag_b', 'ag_0', 'ag_zz'] })).toEqual(['ag_b']);
    expect(await ids({ ids: [] })).toEqual([]);
    expect(await ids({ limit: 2, includeRetired: true })).toEqual(['ag_A', 'ag_a']);
    const lean = await store.listAgents({ project: 'p2', withoutMetadata: true });
    expect(lean[0].metadata).toEqual({});
    expect((await store.listAgents({ project: 'p2' }))[0].metadata).toEqual({ m: 1 });
  });

  it('touches agents forward in time only, and retires the idle ones once', async () => {
    const { store } = await open();
    await agents(store, 'ag_a', 'ag_b', 'ag_c');
    await store.touchAgents([
      { id: 'ag_a', lastSeenAt: at(10) },
      { id: 'ag_a', lastSeenAt: at(5) },
      { id: 'ag_b', lastSeenAt: at(20) },
      { id: 'ag_nobody', lastSeenAt: at(20) },
    ]);
    await store.touchAgents([{ id: 'ag_b', lastSeenAt: at(15) }]);
    await store.touchAgents([]);
    expect((await store.getAgent('ag_a'))!.lastSeenAt).toBe(at(10));
    expect((await store.getAgent('ag_b'))!.lastSeenAt).toBe(at(20));
    expect((await store.retireIdleAgents(at(12), at(30))).sort()).toEqual(['ag_a', 'ag_c']);
    expect((await store.getAgent('ag_a'))!.retiredAt).toBe(at(30));
    expect((await store.getAgent('ag_b'))!.retiredAt).toBeNull();
    expect(await store.retireIdleAgents(at(12), at(31))).toEqual([]);
    expect((await store.getAgent('ag_c'))!.retiredAt).toBe(at(30));
  });

  it('across nodes: one id registered at once on three nodes has exactly one winner', async () => {
    const { store, peer } = await open();
    const nodes = [store, await peer(), await peer()];
    const outcomes = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) => nodes[i % 3].createAgent(agent('ag_race'))),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason.code).toBe('conflict');
  });

  it('across nodes: idle agents retired by three nodes at once are each reported once', async () => {
    const { store, peer } = await open();
    const nodes = [store, await peer(), await peer()];
    const ids = Array.from({ length: 20 }, (_, i) => `ag_${String(i).padStart(2, '0')}`);
    await agents(store, ...ids);
    const retired = (await Promise.all(nodes.map((n) => n.retireIdleAgents(at(1), at(2))))).flat();
    expect(retired.sort()).toEqual(ids);
  });

  it('records published statuses: a first one silently, a change once, never one that began earlier', async () => {
    const { store } = await open();
    await agents(store, 'ag_a', 'ag_b');
    const note = (id: string, status: string, s: number) =>
      store.recordAgentStatuses([{ id, status, since: at(s) }]);
    expect(await note('ag_a', 'active', 0)).toEqual([{ id: 'ag_a', status: 'active', previous: null }]);
    expect(await note('ag_a', 'active', 1)).toEqual([]);
    expect(await note('ag_a', 'idle', 5)).toEqual([{ id: 'ag_a', status: 'idle', previous: 'active' }]);
    // A view that began before the stored status (older knowledge) changes nothing.
    expect(await note('ag_a', 'active', 4)).toEqual([]);
    expect(await note('ag_a', 'active', 6)).toEqual([{ id: 'ag_a', status: 'active', previous: 'idle' }]);
    // Several at once; an unknown agent is left out.
    const both = await store.recordAgentStatuses([
      { id: 'ag_a', status: 'active', since: at(7) },
      { id: 'ag_b', status: 'busy', since: at(7) },
      { id: 'nobody', status: 'idle', since: at(7) },
    ]);
    expect(both).toEqual([{ id: 'ag_b', status: 'busy', previous: null }]);
  });

  it('across nodes: one status change noted by three nodes at once is recorded for one of them', async () => {
    const { store, peer } = await open();
    const nodes = [store, await peer(), await peer()];
    const ids = Array.from({ length: 10 }, (_, i) => `ag_${i}`);
    await agents(store, ...ids);
    await store.recordAgentStatuses(ids.map((id) => ({ id, status: 'active', since: at(0) })));
    const changed = (
      await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          nodes[i % 3].recordAgentStatuses(ids.map((id) => ({ id, status: 'idle', since: at(1) }))),
        ),
      )
    ).flat();
    expect(changed.map((c) => c.id).sort()).toEqual(ids);
    expect(changed.every((c) => c.previous === 'active' && c.status === 'idle')).toBe(true);
  });
});

/** Cursors of one inbox, in the order the inbox lists them. */
async function inboxCursors(store: Store, agentId: string, afterCursor = 0) {
  const entries = await store.listInbox(agentId, { afterCursor, limit: 1000, now: at(0) });
  return entries.map((e) => e.cursor);
}

const increasing = (xs: number[]) => xs.every((x, i) => i === 0 || x > xs[i - 1]);

describeStores('messages', (open, kind) => {
  it('stores a message with its deliveries in recipient order and reads both back', async () => {
    const { store } = await open();
    await agents(store, 'ag_s', 'ag_r1', 'ag_r2');
    const m = msg('ag_s', ['ag_r2', 'ag_r1'], {
      subject: 'Build',
      body: { z: 1, a: ['x', { k: null }] },
      replyTo: 'msg_0',
      correlationId: 'corr',
      importance: 'high',
      ackRequired: true,
      expiresAt: at(3600),
      sentByAdmin: true,
    });
    const r = await store.insertMessage(m);
    expect(r.duplicate).toBe(false);
    expect(r.message).toEqual({ ...m, seq: r.message.seq });
    expect(r.deliveries.map((d) => d.agentId)).toEqual(['ag_r2', 'ag_r1']);
    const got = await store.getMessage(m.id);
    expect(got).toEqual(r.message);
    expect(Object.keys(got!.body as object)).toEqual(['z', 'a']);
    expect(await store.getDeliveryStatus(m.id)).toEqual(
      r.deliveries.map((d) => ({ ...d, readAt: null, ackedAt: null })),
    );
    expect(await store.getMessage('msg_nope')).toBeUndefined();
    expect(await store.getDeliveryStatus('msg_nope')).toEqual([]);
    const plain = await store.insertMessage(msg('ag_s', ['ag_r1'], { to: 'ALL' }));
    expect(plain.message.seq).toBeGreaterThan(r.message.seq);
    expect((await store.getMessage(plain.message.id))!.to).toBe('ALL');
    expect((await store.getMessage(plain.message.id))!.sentByAdmin).toBe(false);
  });

  it('answers a repeated idempotency key with the first send, per sender', async () => {
    const { store } = await open();
    await agents(store, 'ag_s', 'ag_t', 'ag_r');
    const first = await store.insertMessage(msg('ag_s', ['ag_r'], { idempotencyKey: 'k1' }));
    const again = await store.insertMessage(
      msg('ag_s', ['ag_r'], { idempotencyKey: 'k1', subject: 'other' }),
    );
    expect(again).toEqual({ ...first, duplicate: true });
    expect(await store.findByIdempotencyKey('ag_s', 'k1')).toEqual({ ...first, duplicate: true });
    expect(await store.findByIdempotencyKey('ag_s', 'k2')).toBeUndefined();
    expect(await store.findByIdempotencyKey('ag_t', 'k1')).toBeUndefined();
    const other = await store.insertMessage(msg('ag_t', ['ag_r'], { idempotencyKey: 'k1' }));
    expect(other.duplicate).toBe(false);
    expect(await inboxCursors(store, 'ag_r')).toHaveLength(2);
  });

  it('lists an inbox by cursor: after a cursor, unread only, since a time, limited, expired left out', async () => {
    const { store } = await open();
    await agents(store, 'ag_s', 'ag_r', 'ag_o');
    const sent: InsertMessageResult[] = [];
    for (let i = 0; i < 5; i++) {
      sent.push(
        await store.insertMessage(
          msg('ag_s', i % 2 ? ['ag_r', 'ag_o'] : ['ag_r'], {
            createdAt: at(i * 10),
            expiresAt: i === 3 ? at(35) : null,
          }),
        ),
      );
    }
    const cursorOf = (i: number) => sent[i].deliveries.find((d) => d.agentId === 'ag_r')!.cursor;
    const inbox = (q: Partial<Parameters<Store['listInbox']>[1]>) =>
      store.listInbox('ag_r', { limit: 100, now: at(30), ...q });
    const all = await inbox({});
    expect(all.map((e) => e.message.id)).toEqual(sent.map((s) => s.message.id));
    expect(increasing(all.map((e) => e.cursor))).toBe(true);
    expect(all.map((e) => e.cursor)).toEqual(sent.map((_, i) => cursorOf(i)));
    expect(all[1]).toEqual({ cursor: cursorOf(1), readAt: null, ackedAt: null, message: sent[1].message });
    expect((await inbox({ now: at(40) })).map((e) => e.message.id)).not.toContain(sent[3].message.id);
    expect((await inbox({ afterCursor: cursorOf(2) })).map((e) => e.cursor)).toEqual([
      cursorOf(3),
      cursorOf(4),
    ]);
    expect((await inbox({ limit: 2 })).map((e) => e.cursor)).toEqual([cursorOf(0), cursorOf(1)]);
    expect((await inbox({ sinceTime: at(20) })).map((e) => e.cursor)).toEqual([
      cursorOf(2),
      cursorOf(3),
      cursorOf(4),
    ]);
    expect(await store.latestCursor('ag_r')).toBe(cursorOf(4));
    expect(await store.latestCursor('ag_nobody')).toBe(0);
    expect(await store.listInbox('ag_nobody', { limit: 10, now: at(0) })).toEqual([]);

    expect(await store.markRead('ag_r', [cursorOf(0), cursorOf(1), cursorOf(1)], at(50))).toBe(2);
    expect(await store.markRead('ag_r', [cursorOf(0)], at(51))).toBe(0);
    expect(await store.markRead('ag_r', [], at(51))).toBe(0);
    const oCursor = sent[1].deliveries.find((d) => d.agentId === 'ag_o')!.cursor;
    expect(await store.markRead('ag_o', [cursorOf(4) + 1000], at(51))).toBe(0);
    const unread = await inbox({ unreadOnly: true });
    expect(unread.map((e) => e.cursor)).toEqual([cursorOf(2), cursorOf(3), cursorOf(4)]);
    expect((await inbox({}))[0].readAt).toBe(at(50));
    expect(
      (await store.listInbox('ag_o', { limit: 10, now: at(0), unreadOnly: true })).map((e) => e.cursor),
    ).toContain(oCursor);
  });

  it('counts unread, unexpired messages for every agent asked about', async () => {
    const { store } = await open();
    await agents(store, 'ag_s', 'ag_r', 'ag_o');
    const a = await store.insertMessage(msg('ag_s', ['ag_r']));
    await store.insertMessage(msg('ag_s', ['ag_r', 'ag_o'], { expiresAt: at(100) }));
    await store.insertMessage(msg('ag_s', ['ag_r']));
    await store.markRead('ag_r', [a.deliveries[0].cursor], at(5));
    const counts = await store.unreadCounts(['ag_r', 'ag_o', 'ag_nobody'], at(50));
    expect(Object.fromEntries(counts)).toEqual({ ag_r: 2, ag_o: 1, ag_nobody: 0 });
    expect(Object.fromEntries(await store.unreadCounts(['ag_r', 'ag_o'], at(100)))).toEqual({
      ag_r: 1,
      ag_o: 0,
    });
    expect((await store.unreadCounts([], at(0))).size).toBe(0);
  });

  it('acknowledges once: later acks report the first time, strangers and unknown ids are skipped', async () => {
    const { store } = await open();
    await agents(store, 'ag_s', 'ag_r', 'ag_o');
    const m1 = await store.insertMessage(msg('ag_s', ['ag_r'], { ackRequired: true }));
    const m2 = await store.insertMessage(msg('ag_s', ['ag_r', 'ag_o']));
    await store.markRead('ag_r', [m2.deliveries[0].cursor], at(5));
    const acks = await store.ackMessages('ag_r', [m1.message.id, 'msg_nope', m2.message.id], at(10));
    expect(acks).toEqual([
      { messageId: m1.message.id, from: 'ag_s', ackRequired: true, ackedAt: at(10), newlyAcked: true },
      { messageId: m2.message.id, from: 'ag_s', ackRequired: false, ackedAt: at(10), newlyAcked: true },
    ]);
    expect(await store.ackMessages('ag_r', [m1.message.id, m1.message.id], at(20))).toEqual([
      { messageId: m1.message.id, from: 'ag_s', ackRequired: true, ackedAt: at(10), newlyAcked: false },
      { messageId: m1.message.id, from: 'ag_s', ackRequired: true, ackedAt: at(10), newlyAcked: false },
    ]);
    expect(await store.ackMessages('ag_o', [m1.message.id], at(20))).toEqual([]);
    const status = await store.getDeliveryStatus(m2.message.id);
    expect(status.map((s) => [s.agentId, s.readAt, s.ackedAt])).toEqual([
      ['ag_r', at(5), at(10)],
      ['ag_o', null, null],
    ]);
    expect((await store.getDeliveryStatus(m1.message.id))[0]).toMatchObject({
      readAt: at(10),
      ackedAt: at(10),
    });
  });

  it('lists threads oldest first, for a viewer only what it sent or received (before the limit)', async () => {
    const { store } = await open();
    await agents(store, 'ag_a', 'ag_b', 'ag_c');
    const t = 'thr_shared';
    const m1 = await store.insertMessage(msg('ag_a', ['ag_b'], { threadId: t }));
    const m2 = await store.insertMessage(msg('ag_b', ['ag_c'], { threadId: t }));
    const m3 = await store.insertMessage(msg('ag_c', ['ag_a'], { threadId: t }));
    const m4 = await store.insertMessage(msg('ag_b', ['ag_c'], { threadId: t }));
    const ids = (ms: Array<{ id: string }>) => ms.map((m) => m.id);
    expect(await store.listThread(t, null, 10)).toEqual([m1, m2, m3, m4].map((r) => r.message));
    expect(ids(await store.listThread(t, null, 2))).toEqual([m1.message.id, m2.message.id]);
    expect(ids(await store.listThread(t, 'ag_a', 10))).toEqual([m1.message.id, m3.message.id]);
    expect(ids(await store.listThread(t, 'ag_c', 2))).toEqual([m2.message.id, m3.message.id]);
    expect(await store.listThread('thr_none', null, 10)).toEqual([]);
    expect(await store.isThreadParticipant(t, 'ag_a')).toBe(true);
    expect(await store.isThreadParticipant(t, 'ag_c')).toBe(true);
    expect(await store.isThreadParticipant(t, 'ag_x')).toBe(false);
    expect(await store.threadExists(t)).toBe(true);
    expect(await store.threadExists('thr_none')).toBe(false);
    expect(await store.isParticipant(m2.message.seq, 'ag_b')).toBe(true);
    expect(await store.isParticipant(m2.message.seq, 'ag_c')).toBe(true);
    expect(await store.isParticipant(m2.message.seq, 'ag_a')).toBe(false);
    expect(await store.isParticipant(999_999, 'ag_a')).toBe(false);
  });

  it('searches plain words in subject or body, newest first, every term required, a viewer only its own', async () => {
    const { store } = await open();
    await agents(store, 'ag_a', 'ag_b', 'ag_c');
    const send = async (from: string, to: string[], subject: string | null, body: unknown) =>
      (await store.insertMessage(msg(from, to, { subject, body }))).message.id;
    const deploy = await send('ag_a', ['ag_b'], 'Deploy frontend', { text: 'ship it' });
    const path = await send('ag_b', ['ag_c'], null, { text: 'see src/store/index.ts and a@b.io, v3.14' });
    const snake = await send('ag_c', ['ag_a'], 'snake', 'case closed: use snake_case names');
    const accents = await send('ag_a', ['ag_c'], 'Größe', { text: 'Café au lait in 東京, NAÏVE' });
    const syntax = await send('ag_b', ['ag_a'], 'or near', { text: 'zebra* NEAR(a b, 2) "quoted"' });
    const search = async (terms: string[], viewer: string | null = null, limit = 10) =>
      (await store.searchMessages(terms, viewer, limit)).map((m) => m.id);

    expect(await search(['deploy'])).toEqual([deploy]);
    expect(await search(['deploy', 'ship'])).toEqual([deploy]);
    expect(await search(['deploy', 'missing'])).toEqual([]);
    expect(await search(['text'])).toEqual([syntax, accents, path, deploy]);
    expect(await search(['text'], null, 2)).toEqual([syntax, accents]);
    expect(await search(['index'])).toEqual([path]);
    expect(await search(['ts', 'io', '14'])).toEqual([path]);
    expect(await search(['snake_case'])).toEqual([snake]);
    expect(await search(['snake', 'case'])).toEqual([snake]);
    expect(await search(['case_closed'])).toEqual([snake]);
    expect(await search(['snake_closed'])).toEqual([]);
    expect(await search(['größe'])).toEqual([accents]);
    expect(await search(['cafe', 'naive', '東京'])).toEqual([accents]);
    expect(await search(['zebra', 'near', 'or', 'quoted'])).toEqual([syntax]);
    expect(await search(['__'])).toEqual([]);
    expect(await search(['__', 'deploy'])).toEqual([deploy]);
    expect(await search(['deploy'], 'ag_b')).toEqual([deploy]);
    expect(await search(['deploy'], 'ag_c')).toEqual([]);
    expect(await search(['text'], 'ag_c')).toEqual([accents, path]);
    expect(await search([])).toEqual([]);
  });

  it('does not match a phrase across the end of the subject and the start of the body', async () => {
    const { store } = await open();
    await agents(store, 'ag_a', 'ag_b');
    const m = await store.insertMessage(msg('ag_a', ['ag_b'], { subject: 'red', body: 'apple pie' }));
    expect((await store.searchMessages(['red_apple'], null, 10)).map((x) => x.id)).toEqual([]);
    expect((await store.searchMessages(['apple_pie'], null, 10)).map((x) => x.id)).toEqual([m.message.id]);
  });

  it('stores a message holding one very long word (a 256 KiB run of one letter) and finds it by that word', async () => {
    const { store } = await open();
    await agents(store, 'ag_a', 'ag_b');
    const long = 'z'.repeat(256 * 1024 - 100);
    const m = await store.insertMessage(msg('ag_a', ['ag_b'], { body: `${long} tail` }));
    expect((await store.searchMessages([long], null, 10)).map((x) => x.id)).toEqual([m.message.id]);
    expect((await store.searchMessages(['tail'], 'ag_b', 10)).map((x) => x.id)).toEqual([m.message.id]);
  });

  it('across nodes: concurrent sends to one inbox from three nodes get cursors 1..N, each message once', async () => {
    const { store, peer } = await open();
    const nodes = [store, await peer(), await peer()];
    await agents(store, 'ag_s', 'ag_r', 'ag_o');
    const n = 60;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        nodes[i % 3].insertMessage(msg('ag_s', i % 4 ? ['ag_r'] : ['ag_r', 'ag_o'])),
      ),
    );
    const cursors = results.map((r) => r.deliveries.find((d) => d.agentId === 'ag_r')!.cursor);
    const entries = await nodes[1].listInbox('ag_r', { limit: 1000, now: at(0) });
    expect(entries.map((e) => e.cursor)).toEqual([...cursors].sort((a, b) => a - b));
    expect(new Set(cursors).size).toBe(n);
    // PostgreSQL numbers each inbox on its own: dense, no gap and no repeat. (SQLite numbers all
    // deliveries in one sequence, so ag_o's deliveries leave gaps in ag_r's numbers there.)
    if (kind === 'postgres') {
      expect(entries.map((e) => e.cursor)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      expect(await nodes[2].latestCursor('ag_o')).toBe(n / 4);
    }
    expect(new Set(entries.map((e) => e.message.id)).size).toBe(n);
    expect(new Set(entries.map((e) => e.message.id))).toEqual(new Set(results.map((r) => r.message.id)));
    expect(await nodes[2].latestCursor('ag_r')).toBe(Math.max(...cursors));
  });

  // PostgreSQL only: the hazard (a number taken before a slower transaction commits) is a cluster's.
  if (kind === 'postgres') {
    it('across nodes: a send that commits late is not skipped by a reader at the newest cursor', async () => {
      const { store: s0, peer } = await open();
      const store = s0 as PostgresStore;
      const slowNode = (await peer()) as PostgresStore;
      await agents(store, 'ag_s', 'ag_r', 'ag_o', 'ag_t');
      const first = await store.insertMessage(msg('ag_s', ['ag_r']));

      // The slow node's send runs its real statement (sends are one statement each batch) in a
      // transaction of its own, then waits before COMMIT until released.
      let reached!: () => void;
      const atCommit = new Promise<void>((r) => (reached = r));
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      slowNode.db.statement = (async (sql: string, params: unknown[]) => {
        const c = await slowNode.db.pool.connect();
        try {
          await c.query('BEGIN');
          const rows = (await c.query(sql, params)).rows;
          reached();
          await gate;
          await c.query('COMMIT');
          return rows;
        } finally {
          c.release();
        }
      }) as typeof slowNode.db.statement;
      const slow = slowNode.insertMessage(msg('ag_s', ['ag_r'], { subject: 'late' }));
      await withDeadline('the slow send to reach its commit', atCommit);

      // A reader sees only what committed: it has read everything, up to the newest cursor.
      const reader = (await peer()) as PostgresStore;
      expect(await inboxCursors(reader, 'ag_r')).toEqual([first.deliveries[0].cursor]);
      const readTo = await reader.latestCursor('ag_r');
      expect(readTo).toBe(1);

      // Other inboxes do not wait for the slow one's head lock.
      const elsewhere = await withDeadline(
        'a send to another inbox',
        store.insertMessage(msg('ag_s', ['ag_o'])),
      );
      expect(elsewhere.deliveries[0].cursor).toBe(1);
      // Later sends to the same inbox wait for it (sent together, they are one batch, one statement).
      const later: Array<Promise<InsertMessageResult>> = [
        store.insertMessage(msg('ag_s', ['ag_r'])),
        store.insertMessage(msg('ag_s', ['ag_r', 'ag_t'])),
      ];
      await until('the later sends to wait on the inbox head lock', async () => {
        const rows = await store.db.query<{ n: number }>(
          `SELECT count(*) AS n FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%inbox_heads%'`,
        );
        return rows[0].n >= 1;
      });
      expect(await reader.latestCursor('ag_r')).toBe(1);

      release();
      const late = await slow;
      const [a, b] = await Promise.all(later);
      const cursorIn = (r: InsertMessageResult) => r.deliveries.find((d) => d.agentId === 'ag_r')!.cursor;
      // The late commit holds the next number: every later send numbers after it.
      expect(cursorIn(late)).toBe(2);
      expect([cursorIn(a), cursorIn(b)].sort()).toEqual([3, 4]);
      const resumed = await reader.listInbox('ag_r', { afterCursor: readTo, limit: 10, now: at(0) });
      expect(resumed.map((e) => e.cursor)).toEqual([2, 3, 4]);
      expect(resumed[0].message.id).toBe(late.message.id);
    });
  }

  it('across nodes: one idempotency key sent on several nodes at once stores one message', async () => {
    const { store, peer } = await open();
    const nodes = [store, await peer(), await peer()];
    await agents(store, 'ag_s', 'ag_r');
    for (let round = 0; round < 5; round++) {
      const key = `key-${round}`;
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          nodes[i % 3].insertMessage(msg('ag_s', ['ag_r'], { idempotencyKey: key })),
        ),
      );
      expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
      const winner = results.find((r) => !r.duplicate)!;
      for (const r of results) expect(r).toEqual({ ...winner, duplicate: r.duplicate });
    }
    expect(await inboxCursors(store, 'ag_r')).toHaveLength(5);
  });

  it('across nodes: an ack and a read mark taken on two nodes at once count once', async () => {
    const { store, peer } = await open();
    const other = await peer();
    await agents(store, 'ag_s', 'ag_r');
    for (let i = 0; i < 5; i++) {
      const m = await store.insertMessage(msg('ag_s', ['ag_r']));
      const acks = (
        await Promise.all([store, other].map((s, j) => s.ackMessages('ag_r', [m.message.id], at(10 + j))))
      ).flat();
      expect(acks.filter((a) => a.newlyAcked)).toHaveLength(1);
      expect(new Set(acks.map((a) => a.ackedAt)).size).toBe(1);
      const m2 = await store.insertMessage(msg('ag_s', ['ag_r']));
      const marked = await Promise.all(
        [store, other].map((s) => s.markRead('ag_r', [m2.deliveries[0].cursor], at(20))),
      );
      expect(marked[0] + marked[1]).toBe(1);
    }
  });
});

describeStores('topics and delivery settings', (open) => {
  it('subscribes once, lists subscribers and topics in byte order, unsubscribes once', async () => {
    const { store, peer } = await open();
    expect(await store.subscribeTopic('ag_b', 'deploys', at(1))).toBe(true);
    expect(await store.subscribeTopic('ag_b', 'deploys', at(2))).toBe(false);
    await store.subscribeTopic('ag_A', 'deploys', at(1));
    await store.subscribeTopic('ag_a', 'deploys', at(1));
    await store.subscribeTopic('ag_b', 'Alerts', at(1));
    await store.subscribeTopic('ag_b', 'alerts', at(1));
    expect(await store.topicSubscribers('deploys')).toEqual(['ag_A', 'ag_a', 'ag_b']);
    expect(await store.agentTopics('ag_b')).toEqual(['Alerts', 'alerts', 'deploys']);
    expect(await store.topicSubscribers('none')).toEqual([]);
    expect(await store.agentTopics('ag_none')).toEqual([]);
    const other = await peer();
    const outcomes = await Promise.all([store, other].map((s) => s.unsubscribeTopic('ag_b', 'deploys')));
    expect(outcomes.sort()).toEqual([false, true]);
    expect(await store.topicSubscribers('deploys')).toEqual(['ag_A', 'ag_a']);
    expect(await store.unsubscribeTopic('ag_b', 'none')).toBe(false);
    const subs = await Promise.all([store, other].map((s) => s.subscribeTopic('ag_c', 'race', at(3))));
    expect(subs.sort()).toEqual([false, true]);
  });

  it('keeps delivery settings as set, replacing them whole', async () => {
    const { store, peer } = await open();
    expect(await store.delivery.getSettings('ag_a')).toBeUndefined();
    const first = {
      agentId: 'ag_a',
      settings: { z: 1, mode: 'push', nested: { b: 2, a: 1 } },
      updatedAt: at(1),
      updatedBy: 'ag_a',
    };
    await store.delivery.putSettings(first);
    const read = await store.delivery.getSettings('ag_a');
    expect(read).toEqual(first);
    expect(Object.keys(read!.settings)).toEqual(['z', 'mode', 'nested']);
    const second = { agentId: 'ag_a', settings: { mode: 'off' }, updatedAt: at(2), updatedBy: null };
    await (await peer()).delivery.putSettings(second);
    expect(await store.delivery.getSettings('ag_a')).toEqual(second);
    expect(await store.delivery.getSettings('ag_b')).toBeUndefined();
  });
});
