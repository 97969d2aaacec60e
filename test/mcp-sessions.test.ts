/**
 * 2025-era MCP sessions under pressure: opening them is rate-limited per caller and capped per caller
 * (anonymous callers by address, callers with a token by token, separate budgets), sessions that
 * never finish initialization or stay idle are reclaimed, and an agent registered in a session is
 * retired when the session ends. Real hubs on real ports; raw HTTP for the hostile clients, the
 * official SDK client for the well-behaved ones.
 */
import { rmSync } from 'node:fs';
import type { Client } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import { channels } from '../src/bus/bus.js';
import type { HubEvent } from '../src/bus/events.js';
import type { ConfigInput } from '../src/config/schema.js';
import { startTestHub, type TestHub } from './helpers/hub.js';
import { connect2025, post, structured } from './mcp-clients.js';

let t: TestHub | undefined;
const clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => {})));
  await t?.close();
  t = undefined;
});

async function hub(sessions: NonNullable<ConfigInput['mcp']>['sessions']): Promise<TestHub> {
  t = await startTestHub({ mcp: { sessions } });
  return t;
}

const initialize = (url: string, headers: Record<string, string> = {}) =>
  post(
    url,
    {
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    },
    headers,
  );

/** A complete raw session (initialize + notifications/initialized); returns its headers for later calls. */
async function rawSession(url: string): Promise<Record<string, string>> {
  const init = await initialize(url);
  expect(init.status).toBe(200);
  const session = {
    'mcp-session-id': init.headers.get('mcp-session-id')!,
    'mcp-protocol-version': '2025-11-25',
  };
  expect((await post(url, { method: 'notifications/initialized' }, session)).status).toBe(202);
  return session;
}

const liveSessions = (h: TestHub) => h.hub.live.get('mcp_sessions') ?? 0;

/** Polls a condition on the hub's own state (status counters, metrics) until it holds. */
async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((r) => setTimeout(r, 10));
}

/** Resolves with the hub-wide agent.retired event of `agentId`. */
function retirement(h: TestHub, agentId: string): Promise<HubEvent> {
  return new Promise((resolve) => {
    const stop = h.hub.bus.subscribe(channels.all, (e) => {
      if (e.type === 'agent.retired' && e.agent_id === agentId) {
        stop();
        resolve(e);
      }
    });
  });
}

async function reclaimed(h: TestHub, reason: string): Promise<number> {
  const metric = await h.hub.metrics.connectionsClosed.get();
  return metric.values.find((v) => v.labels.kind === 'mcp_session' && v.labels.reason === reason)?.value ?? 0;
}

describe('opening sessions', () => {
  it('a flood of anonymous initializes gets 429 after the burst, while a client with a token still connects', async () => {
    const h = await hub({ burst: 5, perSecond: 0.01 });
    const agent = await h.register('Steady');
    const flood = await Promise.all(Array.from({ length: 40 }, () => initialize(h.url)));
    expect(flood.filter((r) => r.status === 200)).toHaveLength(5);
    const refused = flood.filter((r) => r.status === 429);
    expect(refused).toHaveLength(35);
    const [first] = refused;
    expect(Number(first.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(first.body).toMatchObject({
      jsonrpc: '2.0',
      id: 1,
      error: {
        code: -32000,
        data: { code: 'rate_limited', details: { limit: 5, setting: 'mcp.sessions.perSecond' } },
      },
    });
    expect(first.body.error.message).toMatch(/mcp\.sessions\.burst/);

    const client = await connect2025(h.url, { token: agent.token });
    clients.push(client);
    const me = structured(await client.callTool({ name: 'whoami', arguments: {} }));
    expect(me.agent.agent_id).toBe(agent.id);
    await expect(connect2025(h.url)).rejects.toThrow();
  });

  it('caps open sessions per caller with the limit in the error; a token is its own budget', async () => {
    const h = await hub({ maxPerCaller: 3 });
    const a = await h.register('A');
    const b = await h.register('B');
    const anonymous = [await rawSession(h.url), await rawSession(h.url), await rawSession(h.url)];
    const fourth = await initialize(h.url);
    expect(fourth.status).toBe(429);
    expect(fourth.body.error.message).toMatch(/3 open MCP sessions.*mcp\.sessions\.maxPerCaller = 3/);
    expect(fourth.body.error.data.details).toMatchObject({ limit: 3, setting: 'mcp.sessions.maxPerCaller' });

    const bearer = { authorization: `Bearer ${a.token}` };
    for (let i = 0; i < 3; i++) expect((await initialize(h.url, bearer)).status).toBe(200);
    expect((await initialize(h.url, bearer)).status).toBe(429);
    expect((await initialize(h.url, { authorization: `Bearer ${b.token}` })).status).toBe(200);

    // Ending a session gives its place back.
    const ended = await fetch(`${h.url}/mcp`, { method: 'DELETE', headers: anonymous[0] });
    expect(ended.status).toBe(200);
    expect((await initialize(h.url)).status).toBe(200);
  });
});

describe('reclaiming sessions', () => {
  it('closes sessions that never send notifications/initialized, and keeps complete ones', async () => {
    const h = await hub({ initSeconds: 0.3 });
    const complete = await connect2025(h.url);
    clients.push(complete);
    for (let i = 0; i < 3; i++) expect((await initialize(h.url)).status).toBe(200);
    expect(liveSessions(h)).toBe(4);
    await until(() => liveSessions(h) === 1);
    expect(await reclaimed(h, 'init_timeout')).toBe(3);
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toMatch(
      /switchboard_connections_closed_total\{kind="mcp_session",reason="init_timeout"\} 3/,
    );
    expect(structured(await complete.callTool({ name: 'hub_status', arguments: {} })).live.mcp_sessions).toBe(
      1,
    );
  });

  it('closes idle sessions and retires the agent registered in one', async () => {
    const h = await hub({ idleSeconds: 0.3 });
    const session = await rawSession(h.url);
    const registered = await post(
      h.url,
      { id: 2, method: 'tools/call', params: { name: 'register_agent', arguments: { name: 'Idler' } } },
      session,
    );
    const agentId = registered.body.result.structuredContent.agent_id as string;
    expect(registered.body.result.structuredContent.token).toBeUndefined();
    const retired = retirement(h, agentId);
    await until(() => liveSessions(h) === 0);
    expect(await retired).toMatchObject({ reason: 'its MCP session ended' });
    expect(await reclaimed(h, 'idle')).toBe(1);
    expect((await post(h.url, { id: 3, method: 'ping' }, session)).status).toBe(404);
  });
});

describe('an agent registered in a session', () => {
  it('is retired when the session ends: not listed, not an ALL recipient', async () => {
    const h = await hub({});
    const peer = await h.register('Peer');
    const client = await connect2025(h.url);
    clients.push(client);
    const reg = structured(
      await client.callTool({ name: 'register_agent', arguments: { name: 'Ephemeral' } }),
    );
    expect(reg.session_bound).toBe(true);
    const before = await h.api('POST', '/api/v1/messages', {
      token: peer.token,
      body: { to: 'ALL', body: 'hi' },
    });
    expect(before.body.recipients).toContain(reg.agent_id);

    const retired = retirement(h, reg.agent_id);
    await (client.transport as unknown as { terminateSession(): Promise<void> }).terminateSession();
    await retired;

    const listed = await h.api('GET', '/api/v1/agents');
    expect(listed.body.agents.map((a: { agent_id: string }) => a.agent_id)).not.toContain(reg.agent_id);
    const after = await h.api('POST', '/api/v1/messages', {
      token: peer.token,
      body: { to: 'ALL', body: 'bye' },
    });
    expect(after.status).toBe(200);
    expect(after.body.recipients).not.toContain(reg.agent_id);
    expect((await h.api('GET', `/api/v1/agents/${reg.agent_id}`)).body.agent.status).toBe('retired');
  });

  it('is retired when the hub stops (its session cannot outlive the hub)', async () => {
    const first = await hub({});
    const client = await connect2025(first.url);
    clients.push(client);
    const reg = structured(await client.callTool({ name: 'register_agent', arguments: { name: 'Stopped' } }));
    await first.hub.close();
    // The same data directory, a new hub: the agent is retired in the store.
    t = await startTestHub({ home: first.home });
    const after = await t.api('GET', `/api/v1/agents/${reg.agent_id}`);
    expect(after.body.agent.status).toBe('retired');
    rmSync(first.home, { recursive: true, force: true });
  });

  it('a session with a bearer token registers nothing of its own: its agent outlives the session', async () => {
    const h = await hub({});
    const agent = await h.register('Keeper');
    const client = await connect2025(h.url, { token: agent.token });
    await (client.transport as unknown as { terminateSession(): Promise<void> }).terminateSession();
    await client.close();
    await until(() => liveSessions(h) === 0);
    expect((await h.api('GET', `/api/v1/agents/${agent.id}`)).body.agent.status).not.toBe('retired');
  });
});
