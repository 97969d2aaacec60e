/**
 * What an MCP connection lists: only the tools its caller may call (anonymous: public; an agent:
 * public + agent; the admin: all), within the tool profiles it selected (`/mcp?tools=...`); a tool
 * outside the profiles is refused naming its profile; a 2025-era session that registers is told its
 * list changed. Both protocol eras, real hub, real downstream server for the gateway tools.
 */
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalog } from '../src/ops/catalog.js';
import { profileOf } from '../src/ops/profiles.js';
import { eventually, FIXTURE } from './gateway-support.js';
import { startTestHub, type TestHub } from './helpers/hub.js';
import { connect2025, connect2026, type McpClientOptions, structured, textOf } from './mcp-clients.js';

let t: TestHub;
let agent: { id: string; token: string };
const clients: Client[] = [];

const ERAS = [
  ['2025', connect2025],
  ['2026', connect2026],
] as const;

const opNames = (pred: (op: (typeof catalog)[number]) => boolean) =>
  catalog
    .filter(pred)
    .map((op) => op.name)
    .sort();
const PUBLIC = opNames((op) => op.access === 'public');
const AGENT_OR_PUBLIC = opNames((op) => op.access !== 'admin');
const ALL = opNames(() => true);
const DOWNSTREAM = /^fixture__/;

async function open(connect: (typeof ERAS)[number][1], opts: McpClientOptions = {}): Promise<Client> {
  const client = await connect(t.url, opts);
  clients.push(client);
  return client;
}

async function listed(client: Client): Promise<{ hub: string[]; downstream: string[] }> {
  const { tools } = await client.listTools(undefined, { cacheMode: 'bypass' } as never);
  const names = tools.map((tool) => tool.name);
  return {
    hub: names.filter((n) => !DOWNSTREAM.test(n)).sort(),
    downstream: names.filter((n) => DOWNSTREAM.test(n)),
  };
}

beforeAll(async () => {
  t = await startTestHub({
    rateLimit: { enabled: false },
    gateway: { servers: [{ name: 'fixture', command: process.execPath, args: [FIXTURE] }] },
  });
  agent = await t.register('tool-list-agent');
  await eventually(
    async () =>
      (await t.api('GET', '/api/v1/gateway/health?name=fixture', { token: t.adminToken })).body.servers[0]
        .state === 'ready',
    20_000,
    'fixture server ready',
  );
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
  await t.close();
});

describe('a connection lists only the tools its caller may call', () => {
  for (const [era, connect] of ERAS) {
    it(`anonymous: public tools only, no agent, admin or downstream tools (${era})`, async () => {
      const { hub, downstream } = await listed(await open(connect));
      expect(hub).toEqual(PUBLIC);
      expect(hub).toContain('register_agent');
      expect(hub).not.toContain('send_message');
      expect(hub).not.toContain('add_server');
      expect(downstream).toEqual([]);
    });

    it(`an agent: public and agent tools and downstream tools, no admin tools (${era})`, async () => {
      const { hub, downstream } = await listed(await open(connect, { token: agent.token }));
      expect(hub).toEqual(AGENT_OR_PUBLIC);
      for (const op of catalog.filter((o) => o.access === 'admin')) expect(hub).not.toContain(op.name);
      expect(downstream).toContain('fixture__fixture_echo');
    });

    it(`the admin: every tool (${era})`, async () => {
      const { hub, downstream } = await listed(await open(connect, { token: t.adminToken }));
      expect(hub).toEqual(ALL);
      expect(downstream).toContain('fixture__fixture_echo');
    });

    it(`an unlisted agent tool still answers with how to identify (${era})`, async () => {
      const client = await open(connect);
      const result = await client.callTool({ name: 'send_message', arguments: { to: 'x', body: 'y' } });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/^unauthorized: .*Authorization: Bearer/);
    });
  }
});

describe('tool profiles: /mcp?tools=<profile,...>', () => {
  for (const [era, connect] of ERAS) {
    it(`?tools=messaging lists only messaging tools (and register_agent, whoami) (${era})`, async () => {
      const { hub, downstream } = await listed(
        await open(connect, { token: t.adminToken, tools: 'messaging' }),
      );
      expect(hub).toEqual(opNames((op) => ['messaging', 'core'].includes(profileOf(op))));
      expect(hub).toContain('send_message');
      expect(hub).toContain('register_agent');
      expect(hub).not.toContain('create_task');
      expect(downstream).toEqual([]);
    });

    it(`a tool outside the selected profiles is refused, naming its profile (${era})`, async () => {
      const client = await open(connect, { token: agent.token, tools: 'messaging' });
      const task = await client.callTool({ name: 'create_task', arguments: { title: 'x' } });
      expect(task.isError).toBe(true);
      expect(textOf(task)).toMatch(/^forbidden: create_task is in the "coordination" tool profile/);
      expect(task.structuredContent).toMatchObject({ error: { code: 'forbidden' } });
      const echo = await client.callTool({ name: 'fixture__fixture_echo', arguments: { text: 'x' } });
      expect(echo.isError).toBe(true);
      expect(textOf(echo)).toMatch(/"gateway" tool profile/);
      // Nothing was created.
      const tasks = await t.api('GET', '/api/v1/tasks', { token: agent.token });
      expect(tasks.body.tasks ?? []).toEqual([]);
    });

    it(`several profiles combine; gateway brings downstream tools (${era})`, async () => {
      const { hub, downstream } = await listed(
        await open(connect, { token: agent.token, tools: 'coordination, gateway' }),
      );
      expect(hub).toEqual(
        opNames((op) => op.access !== 'admin' && ['coordination', 'gateway', 'core'].includes(profileOf(op))),
      );
      expect(downstream).toContain('fixture__fixture_echo');
    });

    it(`?tools=all is everything the caller may call (${era})`, async () => {
      const { hub } = await listed(await open(connect, { token: agent.token, tools: 'all' }));
      expect(hub).toEqual(AGENT_OR_PUBLIC);
    });
  }

  it('an unknown profile is refused before anything else, listing the allowed ones', async () => {
    const res = await fetch(`${t.url}/mcp?tools=messaging,bogus`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toContain('"bogus"');
    expect(body.error.message).toContain(
      'allowed: core, messaging, coordination, instances, gateway, analytics, all',
    );
    await expect(connect2025(t.url, { tools: 'nope' })).rejects.toThrow(/unknown tool profile/);
  });

  it('every operation of the catalog belongs to a profile', () => {
    for (const op of catalog) expect(() => profileOf(op), op.name).not.toThrow();
    expect(() => profileOf({ name: 'x', group: 'no-such-group' })).toThrow(/has no tool profile/);
  });
});

describe('a 2025-era session that registers', () => {
  it('is told tools/list_changed and then lists the agent tools', async () => {
    const session = await open(connect2025);
    expect((await listed(session)).hub).toEqual(PUBLIC);
    let changed = 0;
    const told = new Promise<void>((resolve) =>
      session.setNotificationHandler('notifications/tools/list_changed', () => {
        changed += 1;
        resolve();
      }),
    );
    const reg = structured(
      await session.callTool({ name: 'register_agent', arguments: { name: 'grows-on-register' } }),
    );
    expect(reg.session_bound).toBe(true);
    await told;
    expect(changed).toBe(1);
    const after = await listed(session);
    expect(after.hub).toEqual(AGENT_OR_PUBLIC);
    expect(after.downstream).toContain('fixture__fixture_echo');
  });

  it('keeps its profile: a registered ?tools=messaging session lists messaging tools only', async () => {
    const session = await open(connect2025, { tools: 'messaging' });
    structured(await session.callTool({ name: 'register_agent', arguments: { name: 'lean-session' } }));
    expect((await listed(session)).hub).toEqual(
      opNames((op) => op.access !== 'admin' && ['messaging', 'core'].includes(profileOf(op))),
    );
  });
});
