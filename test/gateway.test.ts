/**
 * Gateway end to end: real downstream servers over stdio (server-everything, the fixture server)
 * behind a real hub; SDK clients of both protocol eras on the hub's /mcp see and call their tools.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect2025, connect2026, textOf } from './mcp-clients.js';
import { startTestHub, type TestHub } from './helpers/hub.js';
import { EVERYTHING, eventually, FIXTURE, pidsWith } from './gateway-support.js';

const marker = `gw-fixture-${randomUUID()}`;
let t: TestHub;
const clients: Client[] = [];

async function health(name: string) {
  const res = await t.api('GET', `/api/v1/gateway/health?name=${name}`, { token: t.adminToken });
  return res.body.servers[0];
}

async function toolNames(client: Client): Promise<string[]> {
  const { tools } = await client.listTools(undefined, { cacheMode: 'bypass' } as never);
  return tools.map((x) => x.name);
}

beforeAll(async () => {
  t = await startTestHub({
    gateway: {
      restartInitialMs: 1500,
      restartMaxMs: 3000,
      servers: [
        { name: 'everything', command: process.execPath, args: [EVERYTHING, 'stdio'] },
        {
          name: 'fixture',
          command: process.execPath,
          args: [FIXTURE, marker],
          timeoutSeconds: 1,
          breaker: { failureThreshold: 3, resetSeconds: 2 },
        },
      ],
    },
  });
  await eventually(async () => (await health('everything')).state === 'ready', 20_000, 'everything');
  await eventually(async () => (await health('fixture')).state === 'ready', 20_000, 'fixture');
});

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await t?.close();
});

describe('gateway', () => {
  for (const [era, connect] of [
    ['2025', connect2025],
    ['2026', connect2026],
  ] as const) {
    it(`lists and calls server-everything tools through /mcp (${era} client)`, async () => {
      const client = await connect(t.url, { token: t.adminToken });
      clients.push(client);
      const names = await toolNames(client);
      expect(names).toEqual(
        expect.arrayContaining(['everything__echo', 'everything__get-sum', 'send_message']),
      );
      for (const name of names) expect(name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
      const echo = await client.callTool({ name: 'everything__echo', arguments: { message: `hi ${era}` } });
      expect(echo.isError).toBeFalsy();
      expect(textOf(echo)).toContain(`hi ${era}`);
      const sum = await client.callTool({ name: 'everything__get-sum', arguments: { a: 2, b: 40 } });
      expect(textOf(sum)).toContain('42');
    });
  }

  it('passes a correlation id downstream in _meta', async () => {
    const client = await connect2025(t.url, { token: t.adminToken });
    clients.push(client);
    const res = await client.callTool({ name: 'fixture__fixture_echo', arguments: { text: 'x' } });
    const meta = (res.structuredContent as { meta: Record<string, unknown> }).meta;
    expect(meta['io.switchboard/correlation-id']).toEqual(expect.any(String));
  });

  it('refuses downstream tools to an anonymous caller with a clear error', async () => {
    const client = await connect2026(t.url);
    clients.push(client);
    const res = await client.callTool({ name: 'everything__echo', arguments: { message: 'x' } });
    expect(res.isError).toBe(true);
    expect(textOf(res)).toMatch(
      /^unauthorized: Downstream tools need an identified caller. .*switchboard connect/,
    );
  });

  it('a hanging tool times out with a clear error; other servers stay fast', async () => {
    const client = await connect2026(t.url, { token: t.adminToken });
    clients.push(client);
    const [hung, echo] = await Promise.all([
      client.callTool({ name: 'fixture__fixture_hang', arguments: {} }),
      client.callTool({ name: 'everything__echo', arguments: { message: 'meanwhile' } }),
    ]);
    expect(hung.isError).toBe(true);
    expect(textOf(hung)).toMatch(/^timeout: fixture: tool fixture_hang did not answer within 1 s/);
    expect(textOf(echo)).toContain('meanwhile');
    const metrics = await (
      await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${t.adminToken}` } })
    ).text();
    expect(metrics).toMatch(
      /^mcp_errors_total\{server="fixture",tool="fixture_hang",type="timeout"\} [1-9]/m,
    );
  });

  it('relays a downstream tool list change as list_changed (2025 session)', async () => {
    const { Client: SdkClient, StreamableHTTPClientTransport } = await import('@modelcontextprotocol/client');
    const seen: string[][] = [];
    const client = new SdkClient(
      { name: 'listener', version: '1.0.0' },
      {
        listChanged: {
          tools: { debounceMs: 0, onChanged: (_err, tools) => tools && seen.push(tools.map((x) => x.name)) },
        },
      },
    );
    await client.connect(
      new StreamableHTTPClientTransport(new URL('/mcp', t.url), {
        requestInit: { headers: { authorization: `Bearer ${t.adminToken}` } },
      }),
    );
    clients.push(client);
    const added = await client.callTool({ name: 'fixture__fixture_add_tool', arguments: { name: 'extra' } });
    expect(added.isError).toBeFalsy();
    await eventually(() => seen.some((names) => names.includes('fixture__extra')), 15_000, 'list_changed');
    const res = await client.callTool({ name: 'fixture__extra', arguments: {} });
    expect(textOf(res)).toBe('extra');
  });

  it('relays a downstream tool list change as list_changed (2026 listen stream)', async () => {
    const { Client: SdkClient, StreamableHTTPClientTransport } = await import('@modelcontextprotocol/client');
    const seen: string[][] = [];
    const client = new SdkClient(
      { name: 'listener-2026', version: '1.0.0' },
      {
        versionNegotiation: { mode: { pin: '2026-07-28' } },
        listChanged: {
          tools: { debounceMs: 0, onChanged: (_err, tools) => tools && seen.push(tools.map((x) => x.name)) },
        },
      },
    );
    await client.connect(
      new StreamableHTTPClientTransport(new URL('/mcp', t.url), {
        requestInit: { headers: { authorization: `Bearer ${t.adminToken}` } },
      }),
    );
    clients.push(client);
    // The listen stream opens in the background: each attempt adds a new tool and waits for its change.
    let added = '';
    for (let n = 1; n <= 5 && !added; n++) {
      const name = `extra2026-${n}`;
      await client.callTool({ name: 'fixture__fixture_add_tool', arguments: { name } });
      const ok = await eventually(
        () => seen.some((names) => names.includes(`fixture__${name}`)),
        3_000,
      ).catch(() => false);
      if (ok) added = name;
    }
    expect(added).not.toBe('');
    await client.callTool({ name: 'fixture__fixture_remove_tool', arguments: { name: added } });
    await eventually(() => !seen.at(-1)?.includes(`fixture__${added}`), 15_000, 'removal relayed');
  });

  it('a killed server: breaker open and unhealthy, tools withdrawn, others unaffected, restarted once', async () => {
    const client = await connect2025(t.url, { token: t.adminToken });
    clients.push(client);
    const before = await health('fixture');
    expect(pidsWith(marker)).toEqual([before.pid]);
    process.kill(before.pid, 'SIGKILL');

    const down = await eventually(async () => {
      const h = await health('fixture');
      return h.state === 'down' ? h : undefined;
    });
    expect(down.health).toBe('unhealthy');
    expect(down.breaker.state).toBe('open');
    expect(await toolNames(client)).not.toContain('fixture__fixture_echo');
    const other = await client.callTool({ name: 'everything__echo', arguments: { message: 'still here' } });
    expect(textOf(other)).toContain('still here');

    const back = await eventually(async () => {
      const h = await health('fixture');
      return h.state === 'ready' ? h : undefined;
    });
    expect(back.pid).not.toBe(before.pid);
    expect(back.restarts).toBeGreaterThanOrEqual(1);
    expect(pidsWith(marker)).toEqual([back.pid]);
    await eventually(async () => (await toolNames(client)).includes('fixture__fixture_echo'));
    const echo = await client.callTool({ name: 'fixture__fixture_echo', arguments: { text: 'again' } });
    expect(textOf(echo)).toBe('again');
    await eventually(async () => (await health('fixture')).health === 'healthy', 20_000, 'healthy');
  });

  it('/metrics shows an open breaker and an unhealthy server while it is down', async () => {
    const before = await health('fixture');
    process.kill(before.pid, 'SIGKILL');
    const scrape = async () =>
      (await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${t.adminToken}` } })).text();
    await eventually(
      async () => /^mcp_circuit_breaker_state\{server="fixture",state="open"\} 1$/m.test(await scrape()),
      20_000,
      'breaker open in /metrics',
    );
    const text = await scrape();
    expect(text).toMatch(/^mcp_service_health\{server="fixture",health="unhealthy"\} 1$/m);
    expect(text).toMatch(/^mcp_service_health\{server="everything",health="healthy"\} 1$/m);
    await eventually(async () => (await health('fixture')).state === 'ready', 20_000, 'back');
  });
});
