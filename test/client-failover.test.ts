/**
 * Client failover over several hub URLs, against real hubs on loopback ports: a first URL that is dead
 * from the start, a node that goes away mid-stream (its WebSocket and SSE streams move to the next URL
 * and resume from their cursors), and the retry rule: a request whose answer was lost is repeated on
 * another node only when it carries an idempotency key; one that never reached the node always is.
 *
 * These need no shared state between nodes: "the other node" is a hub started on the dead node's data
 * directory at another port. Two live nodes on one PostgreSQL database: client-failover-cluster.test.ts.
 */
import { rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { InboxMessageView, StreamedEvent } from '../src/client/index.js';
import { AgentClient, HubClient, HubUrls, SwitchboardError } from '../src/client/index.js';
import { deadUrl } from './helpers/bridge-session.js';
import { runCli } from './helpers/cli.js';
import { startTestHub, type TestHub } from './helpers/hub.js';

const hubs: TestHub[] = [];
const clients: AgentClient[] = [];
const servers: Server[] = [];
const homes: string[] = [];
const aborts: AbortController[] = [];

afterEach(async () => {
  for (const a of aborts.splice(0)) a.abort();
  for (const c of clients.splice(0)) await c.close().catch(() => {});
  for (const h of hubs.splice(0)) await h.close().catch(() => {});
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

async function hub(config: Parameters<typeof startTestHub>[0] = {}): Promise<TestHub> {
  const h = await startTestHub(config);
  hubs.push(h);
  return h;
}

/**
 * A node that takes requests and never answers them: it reads each request, counts it, then either
 * resets the connection or answers like a failing load balancer (502 with an HTML page).
 */
async function brokenNode(mode: 'reset' | '502'): Promise<{ url: string; requests: () => number }> {
  let requests = 0;
  const server = createServer((socket: Socket) => {
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += String(chunk);
      const head = buffered.indexOf('\r\n\r\n');
      if (head < 0) return;
      const length = Number(/content-length: *(\d+)/i.exec(buffered.slice(0, head))?.[1] ?? 0);
      if (buffered.length < head + 4 + length) return;
      buffered = '';
      requests++;
      if (mode === 'reset') socket.resetAndDestroy();
      else {
        const page = '<html><body>502 Bad Gateway</body></html>';
        socket.end(
          `HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/html\r\ncontent-length: ${page.length}\r\nconnection: close\r\n\r\n${page}`,
        );
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, requests: () => requests };
}

async function until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const bodies = (messages: InboxMessageView[]) => messages.map((m) => m.body);

describe('several hub URLs', () => {
  it('accepts one URL, an array, or a comma-separated list, and refuses a bad one clearly', () => {
    expect(new HubClient({ url: 'http://127.0.0.1:1/' }).urls.all).toEqual(['http://127.0.0.1:1']);
    expect(new HubUrls('http://a:1, http://b:2,,http://a:1').all).toEqual(['http://a:1', 'http://b:2']);
    expect(new HubUrls(['http://a:1', 'http://b:2,http://c:3']).all).toEqual([
      'http://a:1',
      'http://b:2',
      'http://c:3',
    ]);
    expect(() => new HubClient({ url: 'http://a:1,ftp://b' })).toThrow(/must start with http/);
    expect(() => new HubClient({ url: ' , ' })).toThrow(/No hub URL given/);
  });

  it('uses the second URL when the first is dead from the start, for calls and for listening', async () => {
    const h = await hub();
    const dead = await deadUrl();
    const status = await new HubClient({ url: `${dead},${h.url}` }).hub_status();
    expect(status.status).toBe('ok');

    // A send without an idempotency key is still sent to the second node: it never reached the first.
    const receiver = new AgentClient({ url: [dead, h.url], name: 'receiver' });
    clients.push(receiver);
    await receiver.register();
    expect(receiver.hub.url).toBe(h.url);
    const got: InboxMessageView[] = [];
    receiver.hub.urls.failed(h.url); // back to the dead one: listen must move on by itself
    expect(receiver.hub.url).toBe(dead);
    await receiver.listen((m) => {
      got.push(m);
    });
    const sender = new HubClient({ url: [dead, h.url], token: (await h.register('sender')).token });
    await sender.send_message({ to: receiver.id, body: 'hello' });
    await until(() => got.length === 1, 'the message');
    expect(bodies(got)).toEqual(['hello']);
  });

  it('the CLI takes the list from SWITCHBOARD_URL or --url, and connect gives the stdio bridge all of it', async () => {
    const h = await hub();
    const dead = await deadUrl();
    const me = await h.register('cli-agent');
    const env = {
      SWITCHBOARD_URL: `${dead},${h.url}`,
      SWITCHBOARD_TOKEN: me.token,
      SWITCHBOARD_HOME: h.home,
    };
    const whoami = await runCli(['whoami', '--json'], env);
    expect(whoami.code).toBe(0);
    expect(JSON.parse(whoami.stdout)).toMatchObject({ agent: { agent_id: me.id } });
    const sent = await runCli(['send', me.id, 'to myself', '--url', `${dead},${h.url}`], env);
    expect(sent.code).toBe(0);
    const connect = await runCli(['connect', 'claude-desktop', '--name', 'desk', '--json'], env);
    expect(connect.code).toBe(0);
    const entry = JSON.parse(connect.stdout).config.mcpServers.switchboard;
    expect(entry.env.SWITCHBOARD_URL).toBe(`${dead},${h.url}`);
  });

  it('fails with unavailable, after trying each URL once, when none answers', async () => {
    const [a, b] = [await deadUrl(), await deadUrl()];
    const err = await new HubClient({ url: [a, b] }).hub_status().catch((e) => e);
    expect(err).toBeInstanceOf(SwitchboardError);
    expect(err).toMatchObject({ code: 'unavailable', status: 0 });
    const listener = new AgentClient({ url: [a, b], token: 'sb_x', agentId: 'x' });
    clients.push(listener);
    await expect(listener.listen(() => {})).rejects.toMatchObject({ code: 'unavailable' });
  });
});

describe('the retry rule', () => {
  for (const mode of ['reset', '502'] as const) {
    it(`does not repeat a send that got no answer (${mode}) on another node, unless it has an idempotency key`, async () => {
      const h = await hub();
      const a = await h.register('a');
      const b = await h.register('b');
      const broken = await brokenNode(mode);
      const client = new HubClient({ url: [broken.url, h.url], token: a.token });

      const err = await client.send_message({ to: b.id, body: 'maybe applied' }).catch((e) => e);
      expect(err).toBeInstanceOf(SwitchboardError);
      expect(err.code).toBe('unavailable');
      expect(err.message).toMatch(/may have applied .*not repeated on another node/);
      expect(broken.requests()).toBe(1);
      expect(client.url).toBe(h.url); // the next call goes to the next node
      const inbox = await new HubClient({ url: h.url, token: b.token }).check_inbox({ mark_read: false });
      expect(inbox.messages).toEqual([]);

      // With an idempotency key the same failure is repeated on the next node, and stored once.
      client.urls.failed(h.url);
      expect(client.url).toBe(broken.url);
      const sent = await client.send_message({ to: b.id, body: 'keyed', idempotency_key: 'k-1' });
      expect(broken.requests()).toBe(2);
      const again = await client.send_message({ to: b.id, body: 'keyed', idempotency_key: 'k-1' });
      expect(again.message_id).toBe(sent.message_id);
      const after = await new HubClient({ url: h.url, token: b.token }).check_inbox({ mark_read: false });
      expect(bodies(after.messages)).toEqual(['keyed']);
    });
  }

  it('takes an error the hub answered with as an answer, not as a failed node', async () => {
    const h = await hub();
    const other = await hub();
    const client = new HubClient({ url: [h.url, other.url] });
    const missing = await client.get_agent({ agent_id: 'nobody' }).catch((e) => e);
    expect(missing).toMatchObject({ code: 'not_found', status: 404 });
    expect(client.url).toBe(h.url);
  });
});

describe('a node going away mid-stream', () => {
  it('moves the WebSocket and the SSE stream to the next URL; both resume from their cursors', async () => {
    const first = await startTestHub();
    homes.push(first.home);
    const next = await deadUrl(); // where "the other node" will listen
    const urls = [first.url, next];
    const reconnect = { initialDelayMs: 50, maxDelayMs: 200 };
    const receiver = new AgentClient({ url: urls, name: 'receiver', reconnect });
    clients.push(receiver);
    await receiver.register();
    const sender = new AgentClient({ url: urls, name: 'sender' });
    clients.push(sender);
    await sender.register();
    const got: InboxMessageView[] = [];
    await receiver.listen((m) => {
      got.push(m);
    });
    // The same agent's SSE stream, from the start of its inbox.
    const abort = new AbortController();
    aborts.push(abort);
    const streamed: string[] = [];
    const sse = new HubClient({ url: urls, token: receiver.token });
    const stream = sse.events({ since: '0', signal: abort.signal, reconnect });
    const reading = (async () => {
      for await (const event of stream as AsyncIterable<StreamedEvent>) {
        if (event.type === 'message') streamed.push(String(event.message.body));
      }
    })();
    reading.catch(() => {}); // awaited at the end; a failure shows in the assertions first
    await sender.send(receiver.id, 'before');
    await until(() => got.length === 1 && streamed.length === 1, 'the first message on both streams');

    await first.hub.close(); // the node goes away; both streams start moving
    const port = Number(new URL(next).port);
    const second = await startTestHub({ home: first.home, port });
    hubs.push(second);
    for (const n of [1, 2, 3]) await sender.send(receiver.id, `after-${n}`);
    await until(() => got.length >= 4 && streamed.length >= 4, 'the messages sent to the other node');

    const expected = ['before', 'after-1', 'after-2', 'after-3'];
    expect(bodies(got)).toEqual(expected);
    expect(streamed).toEqual(expected);
    expect(receiver.hub.url).toBe(second.url);
    expect(sse.url).toBe(second.url);
    const cursors = got.map((m) => Number(m.cursor));
    expect([...cursors].sort((x, y) => x - y)).toEqual(cursors);
    abort.abort();
    await reading;
  });
});
