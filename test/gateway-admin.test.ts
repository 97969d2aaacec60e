/**
 * Gateway admin operations over REST: add a real server (server-memory) at run time, see its tools
 * and health, remove it (process and tools gone); bad input and config-file servers refused clearly.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect2026, textOf } from './mcp-clients.js';
import { startTestHub, type TestHub } from './helpers/hub.js';
import { eventually, FIXTURE, MEMORY, pidsWith } from './gateway-support.js';

let t: TestHub;
const marker = `gw-memory-${randomUUID()}`;

beforeAll(async () => {
  t = await startTestHub({
    gateway: {
      servers: [
        {
          name: 'fixture',
          command: process.execPath,
          args: [FIXTURE],
          timeoutSeconds: 15,
          toolTimeouts: { fixture_hang: 2 },
          rateLimit: { perSecond: 1000, burst: 100 },
        },
      ],
    },
  });
});

afterAll(async () => {
  await t?.close();
});

const admin = (method: string, path: string, body?: unknown) =>
  t.api(method, path, { token: t.adminToken, ...(body !== undefined ? { body } : {}) });

describe('gateway admin operations', () => {
  it('adds server-memory at run time, publishes its tools, removes it with its process', async () => {
    const added = await admin('POST', '/api/v1/gateway/servers', {
      name: 'memory',
      command: process.execPath,
      args: [MEMORY, marker],
      env: { MEMORY_FILE_PATH: `${t.home}/${marker}.jsonl`, SECRET_THING: 'not shown' },
      toolTimeouts: { read_graph: 12.5 },
      rateLimit: { perSecond: 50, burst: 20 },
    });
    expect(added.status).toBe(201);
    expect(added.body.server).toMatchObject({
      name: 'memory',
      source: 'runtime',
      transport: 'stdio',
      timeout_seconds: 30,
      tool_timeouts: { read_graph: 12.5 },
      rate_limit: { per_second: 50, burst: 20 },
    });
    expect(JSON.stringify(added.body)).not.toContain('not shown');

    const listed = await eventually(async () => {
      const res = await admin('GET', '/api/v1/gateway/servers');
      const memory = res.body.servers.find((s: any) => s.name === 'memory');
      return memory?.state === 'ready' ? res.body.servers : undefined;
    });
    expect(listed.map((s: any) => [s.name, s.source])).toEqual([
      ['fixture', 'config'],
      ['memory', 'runtime'],
    ]);
    const memory = listed.find((s: any) => s.name === 'memory');
    expect(memory.tools).toEqual(expect.arrayContaining(['memory__create_entities', 'memory__read_graph']));
    expect(memory.env_keys).toEqual(['MEMORY_FILE_PATH', 'SECRET_THING']);
    expect(memory.tool_timeouts).toEqual({ read_graph: 12.5 });
    expect(memory.rate_limit).toEqual({ per_second: 50, burst: 20 });
    // A config-file server's settings show the same way.
    const fixture = listed.find((s: any) => s.name === 'fixture');
    expect(fixture).toMatchObject({
      timeout_seconds: 15,
      tool_timeouts: { fixture_hang: 2 },
      rate_limit: { per_second: 1000, burst: 100 },
    });
    expect(pidsWith(marker)).toEqual([memory.pid]);

    const client = await connect2026(t.url, { token: t.adminToken });
    try {
      const created = await client.callTool({
        name: 'memory__create_entities',
        arguments: { entities: [{ name: 'hub', entityType: 'service', observations: ['gateway works'] }] },
      });
      expect(created.isError).toBeFalsy();
      const graph = await client.callTool({ name: 'memory__read_graph', arguments: {} });
      expect(textOf(graph)).toContain('gateway works');

      const again = await admin('POST', '/api/v1/gateway/servers', { name: 'memory', command: 'x' });
      expect(again.status).toBe(409);

      const removed = await admin('DELETE', '/api/v1/gateway/servers/memory');
      expect(removed.status).toBe(200);
      expect(removed.body).toEqual({ removed: 'memory' });
      await eventually(() => pidsWith(marker).length === 0, 10_000, 'memory process gone');
      const { tools } = await client.listTools();
      expect(tools.map((x) => x.name)).not.toContain('memory__read_graph');
    } finally {
      await client.close();
    }
  });

  it('refuses bad input with an error naming the field, never a 500', async () => {
    const badName = await admin('POST', '/api/v1/gateway/servers', { name: 'bad.name', command: 'x' });
    expect(badName.status).toBe(400);
    expect(badName.body.error.message).toContain('name');
    const both = await admin('POST', '/api/v1/gateway/servers', {
      name: 'x',
      command: 'a',
      url: 'http://127.0.0.1:1/mcp',
    });
    expect(both.status).toBe(400);
    expect(both.body.error.message).toMatch(/exactly one of command .* or url/);
    const neither = await admin('POST', '/api/v1/gateway/servers', { name: 'x' });
    expect(neither.status).toBe(400);
    const missing = await admin('DELETE', '/api/v1/gateway/servers/nope');
    expect(missing.status).toBe(404);
    const fromConfig = await admin('DELETE', '/api/v1/gateway/servers/fixture');
    expect(fromConfig.status).toBe(409);
    expect(fromConfig.body.error.message).toContain('config file');
    const notAdmin = await t.api('GET', '/api/v1/gateway/servers');
    expect(notAdmin.status).toBe(401);
  });

  it('a server that cannot start is reported unhealthy with the reason, and the hub keeps serving', async () => {
    const res = await admin('POST', '/api/v1/gateway/servers', {
      name: 'broken',
      command: '/nonexistent/program',
    });
    expect(res.status).toBe(201);
    // Without per-tool timeouts or a rate limit: {} and null.
    expect(res.body.server).toMatchObject({ timeout_seconds: 30, tool_timeouts: {}, rate_limit: null });
    const h = await eventually(async () => {
      const r = await admin('GET', '/api/v1/gateway/health?name=broken');
      return r.body.servers[0].last_error ? r.body.servers[0] : undefined;
    });
    expect(h.health).toBe('unhealthy');
    expect((await t.api('GET', '/health')).status).toBe(200);
    expect((await admin('DELETE', '/api/v1/gateway/servers/broken')).status).toBe(200);
  });
});
