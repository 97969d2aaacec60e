/**
 * 2026-07-28 requests are answered by MCP servers the hub builds once and reuses
 * (src/surfaces/mcp/stateless-servers.ts). Reuse must not leak anything from one request to the
 * next: callers of different kinds and tool profiles, interleaved and concurrent, each see their own
 * tool list and act as themselves; a downstream server added later brings its tools to the next
 * request and takes them away when removed; a request abandoned mid-call leaves the others intact.
 * Real hub, real downstream MCP servers (the fixture), official SDK clients.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channels } from '../src/bus/bus.js';
import { catalog } from '../src/ops/catalog.js';
import { profileOf } from '../src/ops/profiles.js';
import { eventually, FIXTURE } from './gateway-support.js';
import { startTestHub, type TestHub } from './helpers/hub.js';
import { connect2026, type McpClientOptions, structured, textOf } from './mcp-clients.js';

let t: TestHub;
let alice: { id: string; token: string };
let bob: { id: string; token: string };
const clients: Client[] = [];

const opNames = (pred: (op: (typeof catalog)[number]) => boolean) =>
  catalog
    .filter(pred)
    .map((op) => op.name)
    .sort();

async function open(opts: McpClientOptions = {}): Promise<Client> {
  const client = await connect2026(t.url, opts);
  clients.push(client);
  return client;
}

async function names(client: Client): Promise<string[]> {
  const { tools } = await client.listTools(undefined, { cacheMode: 'bypass' } as never);
  return tools.map((tool) => tool.name).sort();
}

const admin = (method: string, path: string, body?: unknown) =>
  t.api(method, path, { token: t.adminToken, ...(body !== undefined ? { body } : {}) });

async function serverReady(name: string): Promise<void> {
  await eventually(
    async () =>
      (await admin('GET', `/api/v1/gateway/health?name=${name}`)).body.servers?.[0]?.state === 'ready',
    20_000,
    `${name} ready`,
  );
}

beforeAll(async () => {
  t = await startTestHub({
    rateLimit: { enabled: false },
    gateway: { servers: [{ name: 'fixture', command: process.execPath, args: [FIXTURE] }] },
  });
  alice = await t.register('reuse-alice');
  bob = await t.register('reuse-bob');
  await serverReady('fixture');
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
  await t.close();
});

describe('reused 2026-07-28 servers keep each caller to its own view', () => {
  it('callers of every kind and profile, interleaved and concurrent, each list exactly their tools', async () => {
    const downstream = t.hub.services.gateway.tools().map((tool) => tool.name);
    expect(downstream).toContain('fixture__fixture_echo');
    const views: Array<{ who: string; client: Client; expected: string[] }> = [
      {
        who: 'anonymous',
        client: await open(),
        expected: opNames((op) => op.access === 'public'),
      },
      {
        who: 'agent, all profiles',
        client: await open({ token: alice.token }),
        expected: [...opNames((op) => op.access !== 'admin'), ...downstream].sort(),
      },
      {
        who: 'agent, ?tools=messaging',
        client: await open({ token: bob.token, tools: 'messaging' }),
        expected: opNames((op) => op.access !== 'admin' && ['messaging', 'core'].includes(profileOf(op))),
      },
      {
        who: 'admin, ?tools=coordination,gateway',
        client: await open({ token: t.adminToken, tools: 'coordination,gateway' }),
        expected: [
          ...opNames((op) => ['coordination', 'gateway', 'core'].includes(profileOf(op))),
          ...downstream,
        ].sort(),
      },
      {
        who: 'admin, all profiles',
        client: await open({ token: t.adminToken }),
        expected: [...opNames(() => true), ...downstream].sort(),
      },
    ];
    // One after another, several rounds (each request may get the server the previous one used)...
    for (let round = 0; round < 3; round++) {
      for (const v of views) expect(await names(v.client), `${v.who}, round ${round}`).toEqual(v.expected);
      for (const v of [...views].reverse())
        expect(await names(v.client), `${v.who}, reversed round ${round}`).toEqual(v.expected);
    }
    // ...and all at once (several servers in flight, then back to be reused).
    for (let round = 0; round < 3; round++) {
      const lists = await Promise.all(views.flatMap((v) => [names(v.client), names(v.client)]));
      views.forEach((v, i) => {
        expect(lists[2 * i], `${v.who}, concurrent round ${round}`).toEqual(v.expected);
        expect(lists[2 * i + 1], `${v.who}, concurrent round ${round}`).toEqual(v.expected);
      });
    }
  });

  it('each request acts as its own caller, and a refused tool stays refused for the next caller too', async () => {
    const anonymous = await open();
    const a = await open({ token: alice.token });
    const b = await open({ token: bob.token, tools: 'messaging' });
    for (let round = 0; round < 3; round++) {
      expect(structured(await a.callTool({ name: 'whoami', arguments: {} })).agent.agent_id).toBe(alice.id);
      const anon = await anonymous.callTool({ name: 'send_message', arguments: { to: bob.id, body: 'x' } });
      expect(anon.isError).toBe(true);
      expect(textOf(anon)).toMatch(/^unauthorized: /);
      expect(structured(await b.callTool({ name: 'whoami', arguments: {} })).agent.agent_id).toBe(bob.id);
      const outside = await b.callTool({ name: 'create_task', arguments: { title: 'no' } });
      expect(outside.isError).toBe(true);
      expect(textOf(outside)).toMatch(/"coordination" tool profile/);
      // The same tool for alice (all profiles) in the very next request: allowed.
      const task = structured(await a.callTool({ name: 'create_task', arguments: { title: `ok ${round}` } }));
      expect(task.task.title).toBe(`ok ${round}`);
    }
  });

  it('a downstream server added later: its tools appear on the next request, and go when it is removed', async () => {
    const client = await open({ token: alice.token });
    const before = await names(client);
    expect(before).toContain('fixture__fixture_echo');
    expect(before.some((n) => n.startsWith('late__'))).toBe(false);

    const added = await admin('POST', '/api/v1/gateway/servers', {
      name: 'late',
      command: process.execPath,
      args: [FIXTURE],
    });
    expect(added.status).toBe(201);
    await serverReady('late');
    await eventually(
      async () => (await names(client)).includes('late__fixture_echo'),
      20_000,
      'late tools listed',
    );
    const echoed = await client.callTool({ name: 'late__fixture_echo', arguments: { text: 'from late' } });
    expect(echoed.isError).toBeFalsy();
    expect(JSON.stringify(echoed.content)).toContain('from late');
    // Other callers' views follow as well, within their profiles.
    expect(await names(await open({ token: bob.token, tools: 'messaging' }))).not.toContain(
      'late__fixture_echo',
    );
    expect(await names(await open({ token: t.adminToken }))).toContain('late__fixture_echo');

    expect((await admin('DELETE', '/api/v1/gateway/servers/late')).status).toBe(200);
    const after = await names(client);
    expect(after.some((n) => n.startsWith('late__'))).toBe(false);
    expect(after).toContain('fixture__fixture_echo');
    await expect(client.callTool({ name: 'late__fixture_echo', arguments: { text: 'x' } })).rejects.toThrow(
      /late__fixture_echo not found/,
    );
  });

  it('a request abandoned mid-call (the client goes away) leaves the next requests intact', async () => {
    // A 2026-07-28 client whose HTTP requests all end when `gone` aborts (the client going away).
    const gone = new AbortController();
    const waiter = new Client(
      { name: 'goes-away', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    await waiter.connect(
      new StreamableHTTPClientTransport(new URL('/mcp', t.url), {
        requestInit: { headers: { authorization: `Bearer ${bob.token}` } },
        fetch: (input, init) => fetch(input, { ...init, signal: gone.signal }),
      }),
    );
    clients.push(waiter);
    const waiting = waiter
      .callTool({ name: 'wait_for_messages', arguments: { timeout_seconds: 30 } })
      .catch((err: Error) => err);
    // The wait is in the hub once it listens on bob's channel; abandoned, it stops listening.
    const listening = () => t.hub.bus.listenerCount(channels.agent(bob.id));
    const idle = listening();
    await eventually(async () => listening() > idle, 10_000, 'the wait reached the hub');
    gone.abort();
    expect(await waiting).toBeInstanceOf(Error);
    await eventually(async () => listening() === idle, 10_000, 'the abandoned wait ended in the hub');
    const a = await open({ token: alice.token });
    for (let i = 0; i < 3; i++) {
      expect(structured(await a.callTool({ name: 'whoami', arguments: {} })).agent.agent_id).toBe(alice.id);
      expect(await names(await open())).toEqual(opNames((op) => op.access === 'public'));
    }
    const sent = structured(
      await a.callTool({ name: 'send_message', arguments: { to: bob.id, body: 'after the abort' } }),
    );
    expect(sent).toBeTruthy();
    const got = structured(
      await (await open({ token: bob.token })).callTool({ name: 'check_inbox', arguments: {} }),
    );
    expect(JSON.stringify(got)).toContain('after the abort');
  });
});
