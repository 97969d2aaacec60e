/**
 * Who takes part in a thread: the sender and every recipient of any of its messages, and nobody
 * else. The SQLite store keeps no participant rows for a thread's first message (its sender and
 * recipients take part through the message itself); these tests hold that rule to the same answers
 * as before on both stores, through the store and through what an agent may do (read the thread,
 * name it, search it), for the root's recipients, agents joined later, and agents never in it.
 */
import { describe, expect, it } from 'vitest';
import { hubPerTest, type TestHub } from './helpers/hub.js';

let t: TestHub | undefined;
const hubs = hubPerTest();

type Agent = { id: string; token: string };

const send = (agent: Agent, body: Record<string, unknown>) =>
  t!.api('POST', '/api/v1/messages', { token: agent.token, body });
const readThread = (agent: Agent, thread: string) =>
  t!.api('GET', `/api/v1/threads/${encodeURIComponent(thread)}`, { token: agent.token });
const search = (agent: Agent, query: string) =>
  t!.api('GET', `/api/v1/messages/search?query=${encodeURIComponent(query)}`, { token: agent.token });

/** What the store answers for each agent, and whether the agent may read the thread and name it. */
async function participation(thread: string, agents: Record<string, Agent>) {
  const out: Record<string, { store: boolean; read: number; names: number }> = {};
  for (const [name, agent] of Object.entries(agents)) {
    const read = await readThread(agent, thread);
    // Naming the thread to write to oneself: allowed exactly when the agent takes part (a 200 adds a
    // message, so it is asked last and only of agents already in).
    out[name] = {
      store: await t!.hub.store.isThreadParticipant(thread, agent.id),
      read: read.status,
      names: 0,
    };
  }
  for (const [name, agent] of Object.entries(agents)) {
    out[name].names = (
      await send(agent, { to: agent.id, thread_id: thread, body: `${name} names it` })
    ).status;
  }
  return out;
}

const inIt = { store: true, read: 200, names: 200 };
const outOfIt = { store: false, read: 404, names: 404 };

describe('thread participants', () => {
  it('are the root’s sender and recipients, then whoever a later message brings in, and no one else', async () => {
    t = await hubs.start({ rateLimit: { enabled: false } });
    const alice = await t.register('Alice');
    const bob = await t.register('Bob');
    const carol = await t.register('Carol');
    const dave = await t.register('Dave');
    const erin = await t.register('Erin');
    const mallory = await t.register('Mallory');

    const root = await send(alice, { to: [bob.id, carol.id], body: 'quokka plans for the offsite' });
    expect(root.status).toBe(200);
    const thread = root.body.thread_id as string;
    expect(thread).toBe(root.body.message_id);
    expect(await t.hub.store.threadExists(thread)).toBe(true);

    // Only the root so far: its sender and both recipients are in, the others are not.
    expect(await participation(thread, { alice, bob, carol, dave, mallory })).toEqual({
      alice: inIt,
      bob: inIt,
      carol: inIt,
      dave: outOfIt,
      mallory: outOfIt,
    });

    // The thread grows: Bob answers Alice and brings Dave in (by reply_to), Dave writes to Erin.
    const answer = await send(bob, { to: [alice.id, dave.id], reply_to: thread, body: 'wombat agenda' });
    expect({ status: answer.status, thread: answer.body.thread_id }).toEqual({ status: 200, thread });
    const onward = await send(dave, { to: erin.id, thread_id: thread, body: 'numbat logistics' });
    expect({ status: onward.status, thread: onward.body.thread_id }).toEqual({ status: 200, thread });
    expect(await participation(thread, { alice, bob, carol, dave, erin, mallory })).toEqual({
      alice: inIt,
      bob: inIt,
      carol: inIt,
      dave: inIt,
      erin: inIt,
      mallory: outOfIt,
    });

    // Each reads only the messages it sent or received, and searches only those.
    const seen = async (agent: Agent) =>
      ((await readThread(agent, thread)).body.messages as Array<{ body: string }>)
        .map((m) => m.body)
        .filter((b) => !b.endsWith('names it'));
    expect(await seen(carol)).toEqual(['quokka plans for the offsite']);
    expect(await seen(dave)).toEqual(['wombat agenda', 'numbat logistics']);
    expect(await seen(erin)).toEqual(['numbat logistics']);
    const found = async (agent: Agent, word: string) =>
      ((await search(agent, word)).body.messages as unknown[]).length;
    expect(await found(carol, 'quokka')).toBe(1);
    expect(await found(dave, 'quokka')).toBe(0);
    expect(await found(erin, 'wombat')).toBe(0);
    expect(await found(erin, 'numbat')).toBe(1);
    expect(await found(mallory, 'quokka')).toBe(0);

    // A message that is not a thread's first is no thread, even to its own sender and recipients.
    const later = answer.body.message_id as string;
    expect(await t.hub.store.threadExists(later)).toBe(false);
    for (const agent of [bob, alice, dave]) {
      expect(await t.hub.store.isThreadParticipant(later, agent.id)).toBe(false);
      expect((await readThread(agent, later)).status).toBe(404);
      expect((await send(agent, { to: alice.id, thread_id: later, body: 'x' })).status).toBe(404);
    }
    // The admin may name any thread that exists, and no other.
    for (const [name, status] of [
      [thread, 200],
      [later, 404],
    ] as const) {
      const byAdmin = await t.api('POST', '/api/v1/messages', {
        token: t.adminToken,
        body: { from: mallory.id, to: alice.id, thread_id: name, body: 'the admin writes for Mallory' },
      });
      expect(byAdmin.status).toBe(status);
    }
    expect(await t.hub.store.isThreadParticipant(thread, mallory.id)).toBe(true);
  });

  it('has a thread started to oneself or by a sender alone in it', async () => {
    t = await hubs.start({ rateLimit: { enabled: false } });
    const alice = await t.register('Alice');
    const bob = await t.register('Bob');
    const note = await send(alice, { to: alice.id, body: 'a note to self' });
    expect(note.status).toBe(200);
    const thread = note.body.thread_id as string;
    expect(await participation(thread, { alice, bob })).toEqual({ alice: inIt, bob: outOfIt });
  });
});
