/**
 * /mcp over real ports with the official SDK clients: a 2025-era session client and a 2026-07-28
 * stateless client exchanging messages, progress during waits, identity rules, sessions.
 */
import { request } from 'node:http';
import type { Client } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { channels } from '../src/bus/bus.js';
import { hubForFile } from './helpers/hub.js';
import { connect2025, connect2026, connectAuto, structured, textOf } from './mcp-clients.js';

const clients: Client[] = [];
const track = <C extends Client>(c: C): C => {
  clients.push(c);
  return c;
};

const t = hubForFile(
  {},
  {
    beforeClose: async () => {
      await Promise.all(clients.map((c) => c.close().catch(() => {})));
    },
  },
);

/** A POST with headers fetch will not set (Host). */
function rawPost(
  url: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        text += chunk;
        if (res.headers['content-type']?.includes('text/event-stream')) res.destroy();
      });
      res.on('close', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Resolves once the agent has a live waiter on its channel (a blocked wait_for_messages). */
async function waiterBlocked(agentId: string): Promise<void> {
  while (t.hub.bus.listenerCount(channels.agent(agentId)) === 0) await new Promise((r) => setTimeout(r, 10));
}

describe('tools from the catalog', () => {
  it('lists every operation with a valid name, its schema and hints', async () => {
    const client = track(await connect2026(t.url, { token: t.adminToken }));
    const { tools } = await client.listTools();
    const names = tools.map((tool) => tool.name);
    expect(names).toEqual([...t.hub.invoker.ops.keys()]);
    for (const name of names) expect(name).toMatch(/^[a-z0-9_]{1,64}$/);
    const send = tools.find((tool) => tool.name === 'send_message')!;
    expect(send.inputSchema.properties).toHaveProperty('to');
    expect(send.inputSchema.additionalProperties).toBe(false);
    expect(send.description).toContain('Durable once this returns');
    expect(tools.find((tool) => tool.name === 'list_agents')!.annotations).toMatchObject({
      readOnlyHint: true,
      destructiveHint: false,
    });
    expect(tools.find((tool) => tool.name === 'retire_agent')!.annotations).toMatchObject({
      destructiveHint: true,
      idempotentHint: true,
    });
  });

  it('answers bad input with a clear invalid_input tool error, never a stack trace', async () => {
    const alice = await t.register('alice-bad-input');
    const client = track(await connect2026(t.url, { token: alice.token }));
    const result = await client.callTool({
      name: 'send_message',
      arguments: { to: 'nobody', importance: 'extreme', bogus: 1 },
    });
    expect(result.isError).toBe(true);
    const text = textOf(result);
    expect(text).toMatch(/^invalid_input: /);
    expect(text).toContain('importance');
    expect(text).toContain('"bogus"');
    expect(text).not.toMatch(/\n\s+at /);
  });
});

describe('a 2025-era session and a 2026-07-28 client exchange messages', () => {
  it('the session registers via register_agent (no token shown) and acts as that agent', async () => {
    const session = track(await connect2025(t.url));
    expect(session.getNegotiatedProtocolVersion()).toBe('2025-11-25');
    const reg = structured(
      await session.callTool({ name: 'register_agent', arguments: { name: 'session-agent' } }),
    );
    expect(reg.session_bound).toBe(true);
    expect(reg).not.toHaveProperty('token');
    const me = structured(await session.callTool({ name: 'whoami', arguments: {} }));
    expect(me.agent.agent_id).toBe(reg.agent_id);
  });

  it('a 2025 waiter wakes with the message a 2026 client sends', async () => {
    const waiterClient = track(await connect2025(t.url));
    const waiter = structured(
      await waiterClient.callTool({ name: 'register_agent', arguments: { name: 'waiter-2025' } }),
    );
    const sender = await t.register('sender-2026');
    const senderClient = track(await connect2026(t.url, { token: sender.token }));

    const waiting = waiterClient.callTool(
      { name: 'wait_for_messages', arguments: { timeout_seconds: 120 } },
      { timeout: 150_000 },
    );
    await waiterBlocked(waiter.agent_id);
    const sent = structured(
      await senderClient.callTool({
        name: 'send_message',
        arguments: { to: waiter.agent_id, subject: 'hello', body: 'from 2026' },
      }),
    );
    const woke = structured(await waiting);
    expect(woke.timed_out).toBe(false);
    expect(woke.messages.map((m: { message_id: string }) => m.message_id)).toEqual([sent.message_id]);
    expect(woke.messages[0]).toMatchObject({ from: sender.id, subject: 'hello', body: 'from 2026' });
  });

  it('a 2026 waiter wakes with the message a 2025 session sends', async () => {
    const waiter = await t.register('waiter-2026');
    const waiterClient = track(await connect2026(t.url, { token: waiter.token }));
    const senderClient = track(await connect2025(t.url));
    structured(await senderClient.callTool({ name: 'register_agent', arguments: { name: 'sender-2025' } }));

    const waiting = waiterClient.callTool(
      { name: 'wait_for_messages', arguments: { timeout_seconds: 120 } },
      { timeout: 150_000 },
    );
    await waiterBlocked(waiter.id);
    const sent = structured(
      await senderClient.callTool({ name: 'send_message', arguments: { to: waiter.id, body: 'from 2025' } }),
    );
    const woke = structured(await waiting);
    expect(woke.timed_out).toBe(false);
    expect(woke.messages.map((m: { message_id: string }) => m.message_id)).toEqual([sent.message_id]);
  });

  it('sends progress notifications while waiting when the call carries a progress token (both eras)', async () => {
    const modern = await t.register('progress-2026');
    const modernClient = track(await connect2026(t.url, { token: modern.token }));
    const legacyClient = track(await connect2025(t.url));
    const legacy = structured(
      await legacyClient.callTool({ name: 'register_agent', arguments: { name: 'progress-2025' } }),
    );
    const sender = await t.register('progress-sender');

    const waitWithProgress = async (client: Client, agentId: string) => {
      const seen: Array<{ progress: number; total?: number; message?: string }> = [];
      let firstProgress!: () => void;
      const progressed = new Promise<void>((resolve) => {
        firstProgress = resolve;
      });
      const waiting = client.callTool(
        { name: 'wait_for_messages', arguments: { timeout_seconds: 120 } },
        {
          timeout: 150_000,
          onprogress: (p) => {
            seen.push(p);
            firstProgress();
          },
        },
      );
      await progressed;
      const sent = await t.api('POST', '/api/v1/messages', {
        token: sender.token,
        body: { to: agentId, body: 'wake up' },
      });
      const woke = structured(await waiting);
      return { seen, woke, sentId: sent.body.message_id as string };
    };

    const [m, l] = await Promise.all([
      waitWithProgress(modernClient, modern.id),
      waitWithProgress(legacyClient, legacy.agent_id),
    ]);
    for (const { seen, woke, sentId } of [m, l]) {
      expect(seen.length).toBeGreaterThan(0);
      expect(seen[0].total).toBe(120);
      expect(seen[0].message).toContain('waiting for messages');
      expect(woke.timed_out).toBe(false);
      expect(woke.messages[0].message_id).toBe(sentId);
    }
  });

  it('cancelling a wait frees the waiter on the hub (both eras)', async () => {
    for (const connect of [connect2026, connect2025]) {
      const agent = await t.register(`cancel-${connect.name}`);
      const client = track(await connect(t.url, { token: agent.token }));
      const abort = new AbortController();
      const waiting = client.callTool(
        { name: 'wait_for_messages', arguments: { timeout_seconds: 120 } },
        { signal: abort.signal },
      );
      await waiterBlocked(agent.id);
      abort.abort();
      await expect(waiting).rejects.toThrow();
      while (t.hub.bus.listenerCount(channels.agent(agent.id)) > 0)
        await new Promise((r) => setTimeout(r, 10));
      expect(t.hub.bus.listenerCount(channels.agent(agent.id))).toBe(0);
    }
  });
});

describe('identity', () => {
  it('stateless without a bearer: public tools work, agent tools say how to configure the header', async () => {
    const client = track(await connect2026(t.url));
    const listed = structured(await client.callTool({ name: 'list_agents', arguments: {} }));
    expect(Array.isArray(listed.agents)).toBe(true);
    const refused = await client.callTool({ name: 'send_message', arguments: { to: 'someone', body: 'hi' } });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/^unauthorized: /);
    expect(textOf(refused)).toContain('Authorization: Bearer');
    expect(textOf(refused)).toContain('switchboard connect');
  });

  it('stateless register_agent returns the token once, and that token works as the bearer', async () => {
    const anon = track(await connect2026(t.url));
    const reg = structured(
      await anon.callTool({ name: 'register_agent', arguments: { name: 'stateless-reg' } }),
    );
    expect(reg.token).toMatch(/^sb_/);
    const me = track(await connect2026(t.url, { token: reg.token }));
    expect(structured(await me.callTool({ name: 'whoami', arguments: {} })).agent.agent_id).toBe(
      reg.agent_id,
    );
  });

  it('a negotiating client lands on 2026-07-28 and is identified by its bearer', async () => {
    const agent = await t.register('auto-negotiated');
    const client = track(await connectAuto(t.url, { token: agent.token }));
    expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
    expect(structured(await client.callTool({ name: 'whoami', arguments: {} })).agent.agent_id).toBe(
      agent.id,
    );
  });

  it('a bearer header identifies a 2025 session too (agent or admin)', async () => {
    const agent = await t.register('bearer-2025');
    const client = track(await connect2025(t.url, { token: agent.token }));
    expect(structured(await client.callTool({ name: 'whoami', arguments: {} })).agent.agent_id).toBe(
      agent.id,
    );
    const admin = track(await connect2025(t.url, { token: t.adminToken }));
    const asAgent = structured(await admin.callTool({ name: 'whoami', arguments: { agent_id: agent.id } }));
    expect(asAgent.agent.agent_id).toBe(agent.id);
  });

  it('an invalid bearer is a 401 that names the header, in both eras', async () => {
    const res = await fetch(`${t.url}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: 'Bearer sb_wrong',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
      }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('Bearer');
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toContain('Authorization: Bearer');
    await expect(connect2026(t.url, { token: 'sb_wrong' })).rejects.toThrow();
    await expect(connect2025(t.url, { token: 'sb_wrong' })).rejects.toThrow();
    const malformed = await fetch(`${t.url}/mcp`, {
      method: 'POST',
      headers: { authorization: 'Token abc', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(malformed.status).toBe(401);
  });

  it('refuses a foreign Origin and a non-loopback Host (DNS rebinding)', async () => {
    const init = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
    const origin = await fetch(`${t.url}/mcp`, {
      method: 'POST',
      headers: { origin: 'http://evil.example', 'content-type': 'application/json' },
      body: init,
    });
    expect(origin.status).toBe(403);
    const host = await rawPost(
      `${t.url}/mcp`,
      { host: 'evil.example.com', 'content-type': 'application/json' },
      init,
    );
    expect(host.status).toBe(403);
    expect(host.body).toContain('DNS-rebinding');
    const local = await rawPost(
      `${t.url}/mcp`,
      {
        host: 'localhost',
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
      }),
    );
    expect(local.status).toBe(200);
  });
});

describe('2025 sessions', () => {
  it('are counted in hub_status while open and gone after DELETE', async () => {
    const liveSessions = () => t.hub.live.get('mcp_sessions') ?? 0;
    const before = liveSessions();
    const client = await connect2025(t.url);
    expect(liveSessions()).toBe(before + 1);
    const status = structured(await client.callTool({ name: 'hub_status', arguments: {} }));
    expect(status.live.mcp_sessions).toBe(before + 1);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`switchboard_connections\\{kind="mcp_session"\\} ${before + 1}`));
    await (client.transport as unknown as { terminateSession(): Promise<void> }).terminateSession();
    await client.close();
    expect(liveSessions()).toBe(before);
  });

  it('an unknown session id is a 404 telling the client to start a new session', async () => {
    const res = await fetch(`${t.url}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': 'no-such-session',
        'mcp-protocol-version': '2025-11-25',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('initialize');
  });
});
