/**
 * Gateway over Streamable HTTP: real downstream servers listening on loopback ports (the fixture
 * server in HTTP mode, server-everything's `streamableHttp`) behind a real hub. A server that drops
 * our session (404) is re-initialized and the call goes through; a restarted server's tools come back.
 */
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect2025, textOf } from './mcp-clients.js';
import { startTestHub, type TestHub } from './helpers/hub.js';
import { eventually, type HttpDownstream, startHttpEverything, startHttpFixture } from './gateway-support.js';

let t: TestHub;
let fixture: HttpDownstream;
let everything: HttpDownstream;
let client: Client;

async function health(name: string) {
  const res = await t.api('GET', `/api/v1/gateway/health?name=${name}`, { token: t.adminToken });
  return res.body.servers[0];
}

async function toolNames(): Promise<string[]> {
  const { tools } = await client.listTools(undefined, { cacheMode: 'bypass' } as never);
  return tools.map((x) => x.name);
}

beforeAll(async () => {
  [fixture, everything] = await Promise.all([startHttpFixture(), startHttpEverything()]);
  t = await startTestHub({
    gateway: {
      restartInitialMs: 300,
      restartMaxMs: 1000,
      servers: [
        { name: 'web', url: fixture.url, timeoutSeconds: 5 },
        { name: 'everything', url: everything.url },
      ],
    },
  });
  await eventually(async () => (await health('web')).state === 'ready', 20_000, 'web');
  await eventually(async () => (await health('everything')).state === 'ready', 20_000, 'everything');
  client = await connect2025(t.url, { token: t.adminToken });
});

afterAll(async () => {
  await client?.close().catch(() => {});
  await t?.close();
  await fixture?.kill();
  await everything?.kill();
});

describe('gateway over Streamable HTTP', () => {
  it('lists and calls tools of HTTP servers', async () => {
    const names = await toolNames();
    expect(names).toEqual(
      expect.arrayContaining(['web__fixture_echo', 'everything__echo', 'everything__get-sum']),
    );
    const list = await t.api('GET', '/api/v1/gateway/servers', { token: t.adminToken });
    const web = list.body.servers.find((s: { name: string }) => s.name === 'web');
    expect(web.transport).toBe('http');
    const sum = await client.callTool({ name: 'everything__get-sum', arguments: { a: 20, b: 22 } });
    expect(textOf(sum)).toContain('42');
    const echo = await client.callTool({ name: 'web__fixture_echo', arguments: { text: 'over http' } });
    expect(textOf(echo)).toBe('over http');
  });

  it('passes the correlation id downstream in _meta and in an HTTP header', async () => {
    const res = await client.callTool({
      name: 'web__fixture_echo',
      arguments: { text: 'x' },
      _meta: { 'io.switchboard/correlation-id': 'corr-http-test-1' },
    });
    const sc = res.structuredContent as {
      meta: Record<string, unknown>;
      headers: Record<string, string>;
    };
    expect(sc.meta['io.switchboard/correlation-id']).toBe('corr-http-test-1');
    expect(sc.headers['x-correlation-id']).toBe('corr-http-test-1');
  });

  it('a lost session (404) is re-initialized and the call succeeds', async () => {
    const dropped = await client.callTool({ name: 'web__fixture_drop_sessions', arguments: {} });
    expect(textOf(dropped)).toMatch(/^dropping 1 session/);
    await new Promise((r) => setTimeout(r, 100));
    const echo = await client.callTool({ name: 'web__fixture_echo', arguments: { text: 'after 404' } });
    expect(echo.isError).toBeFalsy();
    expect(textOf(echo)).toBe('after 404');
    expect((await health('web')).state).toBe('ready');
  });

  it('a restarted HTTP server: tools withdrawn while it is away, back after it returns', async () => {
    const port = fixture.port;
    await fixture.kill();
    // The next call (or health check) finds it gone.
    const failed = await client.callTool({ name: 'web__fixture_echo', arguments: { text: 'gone?' } });
    expect(failed.isError).toBe(true);
    await eventually(async () => !(await toolNames()).includes('web__fixture_echo'), 20_000, 'withdrawn');
    fixture = await startHttpFixture(port);
    await eventually(async () => (await toolNames()).includes('web__fixture_echo'), 20_000, 'back');
    const echo = await client.callTool({ name: 'web__fixture_echo', arguments: { text: 'back' } });
    expect(textOf(echo)).toBe('back');
  });
});
