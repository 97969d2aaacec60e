/**
 * An empty `check_inbox` page answers with the inbox's newest cursor, where a reader goes on from
 * (the client library's `listen()` and the channel bridge start their WebSocket there). A message
 * that commits while the page is being read must not fall below that cursor unseen: on PostgreSQL
 * the look and the cursor read are round trips apart, and the channel bridge lost such a message.
 * Here the message commits at exactly that moment, on a real hub, on both stores.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './helpers/hub.js';

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub();
});
afterAll(() => t.close());

async function op(token: string, name: string, input: Record<string, unknown> = {}) {
  const res = await t.api('POST', `/api/v1/ops/${name}`, { token, body: input });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

/** Runs `during` once, right after the store's next inbox look for `agentId` found nothing. */
function afterEmptyLook(agentId: string, during: () => Promise<unknown>): void {
  const store = t.hub.store;
  const look = store.listInbox.bind(store);
  let done = false;
  store.listInbox = async (id, query) => {
    const entries = await look(id, query);
    if (!done && id === agentId && entries.length === 0) {
      done = true;
      await during();
    }
    return entries;
  };
}

describe('an empty inbox page’s cursor', () => {
  it('never passes a message that committed while the page was read', async () => {
    const reader = await t.register('empty-reader');
    const sender = await t.register('empty-sender');
    let sentId = '';
    afterEmptyLook(reader.id, async () => {
      sentId = (await op(sender.token, 'send_message', { to: reader.id, body: 'in between' })).message_id;
    });
    const first = await op(reader.token, 'check_inbox', { mark_read: false });
    expect(sentId).not.toBe('');
    // Either the page holds it, or the cursor it gives stays below it.
    const seen = first.messages.map((m: { message_id: string }) => m.message_id);
    const after = await op(reader.token, 'check_inbox', { since: first.next_cursor, mark_read: false });
    const next = after.messages.map((m: { message_id: string }) => m.message_id);
    expect([...seen, ...next]).toEqual([sentId]);
  });

  it('is the newest cursor when nothing is unread', async () => {
    const reader = await t.register('empty-reader-2');
    const sender = await t.register('empty-sender-2');
    await op(sender.token, 'send_message', { to: reader.id, body: 'one' });
    const read = await op(reader.token, 'check_inbox', {});
    expect(read.messages).toHaveLength(1);
    const empty = await op(reader.token, 'check_inbox', {});
    expect(empty.messages).toEqual([]);
    expect(empty.next_cursor).toBe(read.messages[0].cursor);
  });
});
