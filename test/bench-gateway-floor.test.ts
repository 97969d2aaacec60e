/**
 * Section (g)'s gateway floor (bench/scenarios/gateway-floor-server.ts, built into dist/): a bare
 * node:http relay in front of a real server-everything over stdio. The bench's SDK client opens a
 * session on it, lists the downstream's tools and calls `echo`, one at a time and 16 in flight; each
 * call gets its own answer from the downstream process.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFloorServer } from '../bench/lib/floor.js';
import type { HubProcess } from '../bench/lib/hub.js';
import { descendantWith, everythingEntry } from '../bench/scenarios/gateway.js';

const SCRIPT = join(import.meta.dirname, '..', 'dist', 'bench', 'scenarios', 'gateway-floor-server.js');

describe('gateway floor (bare relay to a stdio MCP server)', () => {
  let floor: HubProcess;
  let client: Client;
  let transport: StreamableHTTPClientTransport;

  beforeAll(async () => {
    if (!existsSync(SCRIPT)) throw new Error(`${SCRIPT} is missing: run \`npm run build\` first`);
    floor = await startFloorServer(SCRIPT, [process.execPath, everythingEntry(), 'stdio']);
    client = new Client({ name: 'floor-test', version: '1.0.0' });
    transport = new StreamableHTTPClientTransport(new URL(`${floor.url}/mcp`));
    await client.connect(transport);
  });

  afterAll(async () => {
    await client?.close().catch(() => {});
    await floor?.stop();
  });

  it('opens a 2025-11-25 session with an Mcp-Session-Id and lists the downstream tools', async () => {
    expect(client.getNegotiatedProtocolVersion()).toBe('2025-11-25');
    expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('echo');
    expect(names).toContain('get-sum');
    // The tools come from a real server-everything, a child of the floor process.
    expect(descendantWith(floor.pid, everythingEntry())).toBeGreaterThan(0);
  });

  it('relays tools/call to the downstream and answers each call with its own result', async () => {
    const one = await client.callTool({ name: 'echo', arguments: { message: 'hello' } });
    expect(one.content).toEqual([{ type: 'text', text: 'Echo: hello' }]);
    const sum = await client.callTool({ name: 'get-sum', arguments: { a: 2, b: 40 } });
    expect(JSON.stringify(sum.content)).toContain('42');
    const many = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        client.callTool({ name: 'echo', arguments: { message: `m${i}` } }),
      ),
    );
    expect(many.map((r) => r.content)).toEqual(
      Array.from({ length: 16 }, (_, i) => [{ type: 'text', text: `Echo: m${i}` }]),
    );
  });

  it("passes the downstream's refusal of an unknown tool back to the caller", async () => {
    const res = await client
      .callTool({ name: 'no-such-tool', arguments: {} })
      .then((r) => JSON.stringify(r))
      .catch((err: Error) => err.message);
    expect(res).toMatch(/no-such-tool/);
  });
});
