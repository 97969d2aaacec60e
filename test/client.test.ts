/**
 * The TypeScript client against a real hub: typed calls and errors, live listening that survives a
 * dropped connection and a hub restart without missing or repeating a message, request/response,
 * request timeouts, and resuming unread messages in a later run.
 */
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { InboxMessageView } from '../src/client/index.js';
import { AgentClient, HubClient, SwitchboardError } from '../src/client/index.js';
import { startTestHub, type TestHub } from './helpers/hub.js';

let hubs: TestHub[] = [];
let clients: AgentClient[] = [];

afterEach(async () => {
  for (const c of clients) await c.close().catch(() => {});
  for (const h of hubs) await h.close().catch(() => {});
  hubs = [];
  clients = [];
});

async function hub(config = {}): Promise<TestHub> {
  const h = await startTestHub(config);
  hubs.push(h);
  return h;
}

function agent(
  url: string,
  name: string,
  extra: Partial<ConstructorParameters<typeof AgentClient>[0]> = {},
): AgentClient {
  const c = new AgentClient({ url, name, ...extra });
  clients.push(c);
  return c;
}

/** Polls until `check` holds; the timeout only keeps a broken run from hanging. */
async function until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const bodies = (messages: InboxMessageView[]) => messages.map((m) => m.body);

describe('HubClient', () => {
  it('has a typed method per operation that returns the hub’s answer', async () => {
    const h = await hub();
    const client = new HubClient({ url: h.url });
    const status = await client.hub_status();
    expect(status.status).toBe('ok');

    const reg = await client.register_agent({ name: 'alice', capabilities: ['review'] });
    expect(reg.token).toMatch(/\S{16,}/);
    const alice = client.withToken(reg.token);
    const bob = await h.register('bob');

    const sent = await alice.send_message({ to: bob.id, body: { n: 1 }, subject: 'hello' });
    expect(sent.recipients).toEqual([bob.id]);
    const inbox = await new HubClient({ url: h.url, token: bob.token }).check_inbox();
    expect(inbox.messages.map((m) => [m.from, m.subject, m.body])).toEqual([
      [reg.agent_id, 'hello', { n: 1 }],
    ]);

    const listed = await client.list_agents({ capability: 'review' });
    expect(listed.agents.map((a) => a.agent_id)).toEqual([reg.agent_id]);
    expect(await client.call('get_agent', { agent_id: bob.id })).toMatchObject({ agent: { name: 'bob' } });
  });

  it('throws SwitchboardError with the hub’s code, status and message', async () => {
    const h = await hub();
    const client = new HubClient({ url: h.url });
    const missing = await client.get_agent({ agent_id: 'nobody' }).catch((e) => e);
    expect(missing).toBeInstanceOf(SwitchboardError);
    expect(missing).toMatchObject({ code: 'not_found', status: 404 });
    expect(missing.message).toMatch(/nobody/);

    const anonymous = await client.whoami().catch((e) => e);
    expect(anonymous).toMatchObject({ code: 'unauthorized', status: 401 });

    const bad = await client.send_message({ to: 'x', body: 'y', ttl_seconds: -1 } as never).catch((e) => e);
    expect(bad).toMatchObject({ code: 'unauthorized' });

    const unknownOp = await client.call('no_such_op', {}).catch((e) => e);
    expect(unknownOp).toMatchObject({ code: 'not_found', status: 404 });

    const wrongField = await client.list_agents({ colour: 'red' } as never).catch((e) => e);
    expect(wrongField).toMatchObject({ code: 'invalid_input', status: 400 });
    expect(wrongField.message).toMatch(/colour/);
  });

  it('says when the hub cannot be reached', async () => {
    const h = await hub();
    const url = h.url;
    await h.close();
    hubs = [];
    const err = await new HubClient({ url }).hub_status().catch((e) => e);
    expect(err).toBeInstanceOf(SwitchboardError);
    expect(err.code).toBe('unavailable');
    expect(err.message).toContain(url);
    expect(() => new HubClient({ url: 'not a url' })).toThrow(/not a hub URL/);
  });

  it('streams hub events over SSE (the admin sees every send)', async () => {
    const h = await hub();
    const admin = new HubClient({ url: h.url, token: h.adminToken });
    const a = await h.register('a');
    const b = await h.register('b');
    const controller = new AbortController();
    const stream = admin.events({ signal: controller.signal });
    const first = stream.next(); // opens the stream
    // Send until the event shows up (the stream may open after the first sends).
    const sender = new HubClient({ url: h.url, token: a.token });
    const seen: string[] = [];
    const reader = (async () => {
      let next = await first;
      while (!next.done) {
        seen.push(next.value.type);
        if (next.value.type === 'message.sent') return next.value;
        next = await stream.next();
      }
      return undefined;
    })();
    const timer = setInterval(
      () => void sender.send_message({ to: b.id, body: 'tick' }).catch(() => {}),
      100,
    );
    const event = await reader;
    clearInterval(timer);
    controller.abort();
    expect(event).toMatchObject({
      type: 'message.sent',
      recipients: [b.id],
      message: { from: a.id, body: 'tick' },
    });
  });
});

describe('AgentClient.listen', () => {
  it('delivers every message once, in order, across a dropped connection', async () => {
    const h = await hub();
    const states: string[] = [];
    const receiver = agent(h.url, 'receiver', {
      reconnect: { initialDelayMs: 500, maxDelayMs: 1000 },
      onState: (s) => states.push(s),
    });
    await receiver.register();
    const sender = agent(h.url, 'sender');
    await sender.register();

    const got: InboxMessageView[] = [];
    await receiver.listen((m) => {
      got.push(m);
    });
    for (let i = 1; i <= 5; i++) await sender.send(receiver.id, `m${i}`);
    await until(() => got.length === 5, 'the first five');

    // Cut every WebSocket the hub holds; send more while the receiver is away.
    for (const ws of h.hub.http.websocketServer.clients) ws.terminate();
    await until(() => states.includes('reconnecting'), 'the drop to be noticed');
    for (let i = 6; i <= 10; i++) await sender.send(receiver.id, `m${i}`);
    await until(() => got.length >= 10, 'all ten');
    // A few more after the reconnect, then a last one to be sure nothing extra trails in.
    for (let i = 11; i <= 12; i++) await sender.send(receiver.id, `m${i}`);
    await until(() => got.length >= 12, 'all twelve');

    expect(bodies(got)).toEqual(Array.from({ length: 12 }, (_, i) => `m${i + 1}`));
    expect(states.filter((s) => s === 'open').length).toBeGreaterThanOrEqual(2);
  });

  it('resumes from its cursor after the hub restarts on the same database and port', async () => {
    const first = await startTestHub();
    const home = first.home;
    const port = Number(new URL(first.url).port);
    const receiver = agent(first.url, 'receiver', { reconnect: { initialDelayMs: 100, maxDelayMs: 300 } });
    await receiver.register();
    const sender = agent(first.url, 'sender');
    await sender.register();
    const got: InboxMessageView[] = [];
    await receiver.listen((m) => {
      got.push(m);
    });
    await sender.send(receiver.id, 'before');
    await until(() => got.length === 1, 'the first message');

    await first.hub.close(); // the receiver starts reconnecting; nothing answers
    const second = await startTestHub({ home, port });
    hubs.push(second);
    await sender.send(receiver.id, 'after-1');
    await sender.send(receiver.id, 'after-2');
    await until(() => got.length >= 3, 'messages sent to the restarted hub');
    await sender.send(receiver.id, 'after-3');
    await until(() => got.length >= 4, 'a live message after the resume');

    expect(bodies(got)).toEqual(['before', 'after-1', 'after-2', 'after-3']);
    expect(new Set(got.map((m) => m.message_id)).size).toBe(4);
    rmSync(home, { recursive: true, force: true });
  });

  it('starts with unread messages, marks handled ones read, and a later run gets only what is new', async () => {
    const h = await hub();
    const sender = agent(h.url, 'sender');
    await sender.register();
    const first = agent(h.url, 'worker');
    const reg = await first.register();
    for (const text of ['a', 'b', 'c']) await sender.send(reg.agent_id, text);

    const got: InboxMessageView[] = [];
    const listening = await first.listen((m) => {
      got.push(m);
    });
    await until(() => got.length === 3, 'the unread messages');
    await sender.send(reg.agent_id, 'd');
    await until(() => got.length === 4, 'a live one');
    await listening.stop();
    await first.close();

    for (const text of ['e', 'f']) await sender.send(reg.agent_id, text);
    const again = agent(h.url, 'worker', { token: reg.token, agentId: reg.agent_id });
    const later: InboxMessageView[] = [];
    await again.listen((m) => {
      later.push(m);
    });
    await until(() => later.length === 2, 'the new messages');
    await sender.send(reg.agent_id, 'g');
    await until(() => later.length === 3, 'a live one');
    expect(bodies(got)).toEqual(['a', 'b', 'c', 'd']);
    expect(bodies(later)).toEqual(['e', 'f', 'g']);
  });

  it('reports a handler that throws, leaves that message unread, and a later run retries only it', async () => {
    const h = await hub();
    const sender = agent(h.url, 'sender');
    await sender.register();
    const errors: string[] = [];
    const worker = agent(h.url, 'worker', {
      onError: (err, m) => errors.push(`${m?.body}: ${err.message}`),
    });
    const reg = await worker.register();
    const handled: unknown[] = [];
    await worker.listen((m) => {
      if (m.body === 'bad') throw new Error('cannot handle');
      handled.push(m.body);
    });
    await sender.send(worker.id, 'bad');
    await sender.send(worker.id, 'good-1');
    await sender.send(worker.id, 'good-2');
    await until(() => handled.length === 2, 'the good messages');
    await worker.close();
    expect(errors).toEqual(['bad: cannot handle']);
    const unread = await new HubClient({ url: h.url, token: worker.token }).check_inbox({ mark_read: false });
    expect(bodies(unread.messages)).toEqual(['bad']);

    // The next run starts from the unread one; the messages handled after it are not repeated.
    const retry = agent(h.url, 'worker', { token: reg.token, agentId: reg.agent_id });
    const second: unknown[] = [];
    await retry.listen((m) => {
      second.push(m.body);
    });
    await sender.send(worker.id, 'good-3');
    await until(() => second.length >= 2, 'the retry and the new message');
    expect(second).toEqual(['bad', 'good-3']);
  });

  it('refuses to listen without an agent, with a clear reason', async () => {
    const h = await hub();
    const nobody = agent(h.url, 'nobody');
    await expect(nobody.listen(() => {})).rejects.toMatchObject({ code: 'unauthorized' });
    const wrong = agent(h.url, 'x', { token: 'not-a-real-token-at-all', agentId: 'x' });
    await expect(wrong.listen(() => {}, { from: 'now' })).rejects.toMatchObject({ code: 'unauthorized' });
  });
});

describe('AgentClient basics', () => {
  it('broadcasts within its project, reads the inbox, and the sender hears the ack', async () => {
    const h = await hub();
    const acks: unknown[] = [];
    const lead = agent(h.url, 'lead', { project: 'p1', onEvent: (f) => f.type === 'ack' && acks.push(f) });
    await lead.register();
    const b = agent(h.url, 'b', { project: 'p1' });
    await b.register();
    const c = agent(h.url, 'c', { project: 'p1' });
    await c.register();
    const other = agent(h.url, 'other', { project: 'p2' });
    await other.register();
    await lead.listen(() => {});

    const sent = await lead.broadcast({ note: 'all hands' }, { ack_required: true });
    expect(sent.recipients.sort()).toEqual([b.id, c.id].sort());
    const inbox = await b.inbox();
    expect(inbox.messages.map((m) => [m.type, m.body, m.ack_required])).toEqual([
      ['broadcast', { note: 'all hands' }, true],
    ]);
    expect((await other.inbox()).messages).toEqual([]);

    const acked = await b.ack(inbox.messages[0]);
    expect(acked.acked).toEqual([sent.message_id]);
    await until(() => acks.length === 1, 'the ack notice');
    expect(acks[0]).toMatchObject({ type: 'ack', message_id: sent.message_id, by: b.id });
  });
});

describe('AgentClient.request', () => {
  it('resolves with the correlated response', async () => {
    const h = await hub();
    const adder = agent(h.url, 'adder', { capabilities: ['math'] });
    await adder.register();
    await adder.listen(async (m) => {
      if (m.type !== 'request') return;
      const { a, b } = m.body as { a: number; b: number };
      await adder.respond(m, { sum: a + b });
    });
    const asker = agent(h.url, 'asker');
    await asker.register();
    const notes: unknown[] = [];
    await asker.listen((m) => {
      notes.push(m.body);
    });

    const [r1, r2] = await Promise.all([
      asker.request(adder.id, { a: 2, b: 3 }, { timeoutMs: 15_000 }),
      asker.request('capability:math', { a: 10, b: 20 }, { timeoutMs: 15_000 }),
    ]);
    expect(r1).toMatchObject({ type: 'response', from: adder.id, body: { sum: 5 } });
    expect(r2.body).toEqual({ sum: 30 });
    expect(r1.correlation_id).not.toBe(r2.correlation_id);
    // The request and its response share a thread; responses never reach the listen handler.
    const thread = await asker.hub.get_thread({ thread_id: r1.thread_id });
    expect(thread.messages.map((m) => m.type)).toEqual(['request', 'response']);
    expect(notes).toEqual([]);
  });

  it('rejects with a timeout when nobody answers', async () => {
    const h = await hub();
    const silent = agent(h.url, 'silent');
    await silent.register();
    const asker = agent(h.url, 'asker');
    await asker.register();
    const err = await asker.request(silent.id, 'anyone?', { timeoutMs: 300 }).catch((e) => e);
    expect(err).toBeInstanceOf(SwitchboardError);
    expect(err.code).toBe('timeout');
    expect(err.message).toMatch(/No response/);
    // The request itself was delivered.
    const inbox = await silent.inbox();
    expect(inbox.messages.map((m) => [m.type, m.body])).toEqual([['request', 'anyone?']]);
  });

  it('fails at once when the recipient does not exist', async () => {
    const h = await hub();
    const asker = agent(h.url, 'asker');
    await asker.register();
    await expect(asker.request('ghost', 'hi', { timeoutMs: 10_000 })).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});

/** Compile-time checks (run by `tsc --noEmit`, never executed): the methods carry each operation's types. */
function typeChecks(client: HubClient): void {
  // @ts-expect-error register_agent needs a name
  void client.register_agent({});
  // @ts-expect-error unknown fields are refused
  void client.list_agents({ colour: 'red' });
  // @ts-expect-error there is no such operation
  void client.no_such_operation();
  void client.hub_status().then((s) => s.uptime_seconds.toFixed());
  void client.check_inbox({ limit: 5 }).then((r) => r.messages[0]?.cursor.length);
}
void typeChecks;
