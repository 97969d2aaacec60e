/**
 * The catalog is the spine: every operation must appear on every face — MCP tools (both protocol
 * eras), REST (its route and /api/v1/ops/<name>), /openapi.json, the CLI, the TypeScript client and
 * WebSocket call frames. Each check reaches the live hub, so a face that drops an operation fails here.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { HubClient, SwitchboardError } from '../src/client/index.js';
import { BLOCKING_OPERATIONS } from '../src/client/hub-client.js';
import { catalog } from '../src/ops/catalog.js';
import { buildProgram } from '../src/surfaces/cli/main.js';
import { hubForFile } from './helpers/hub.js';
import { connect2025, connect2026 } from './mcp-clients.js';

const names = catalog.map((op) => op.name).sort();
let agent: { id: string; token: string };

/** True when the hub answered as if it did not know the operation or route. */
const unknownOperation = (body: any) =>
  body?.error?.code === 'not_found' && /no operation|No route/i.test(String(body?.error?.message));

const t = hubForFile({ rateLimit: { enabled: false } });
beforeAll(async () => {
  agent = await t.register('face-checker');
});

describe('every operation on every face', () => {
  it('the catalog is not empty and its names are valid tool names', () => {
    expect(names.length).toBeGreaterThanOrEqual(18);
    for (const name of names) expect(name).toMatch(/^[a-z0-9_]{1,64}$/);
  });

  it('is an MCP tool for a 2025-era session and for a 2026-07-28 client', async () => {
    for (const connect of [connect2025, connect2026]) {
      // The admin may call every operation, so its connection lists them all (test/mcp-tool-list.test.ts).
      const client = await connect(t.url, { token: t.adminToken });
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual(names);
      for (const tool of tools) expect(tool.description?.length).toBeGreaterThan(0);
      await client.close();
    }
  });

  it('is in /openapi.json and answers at its REST route and at /api/v1/ops/<name>', async () => {
    const spec = (await t.api('GET', '/openapi.json')).body;
    const operationIds = new Set<string>();
    for (const methods of Object.values<any>(spec.paths)) {
      for (const op of Object.values<any>(methods)) operationIds.add(op.operationId);
    }
    // Routes act on a throwaway agent: DELETE /api/v1/agents/:agent_id retires it.
    const throwaway = await t.register('throwaway');
    for (const op of catalog) {
      expect(operationIds.has(`${op.name}_rpc`), `${op.name} in openapi`).toBe(true);
      const rpc = await t.api('POST', `/api/v1/ops/${op.name}`, { token: t.adminToken, body: {} });
      expect(unknownOperation(rpc.body), `POST /api/v1/ops/${op.name}`).toBe(false);
      expect(rpc.status, `POST /api/v1/ops/${op.name}`).toBeLessThan(500);
      if (!op.http) continue;
      expect(operationIds.has(op.name), `${op.name} route in openapi`).toBe(true);
      const path = op.http.path.replace(/:([a-z_]+)/g, (_m, p) => (p === 'agent_id' ? throwaway.id : 'x'));
      const routed = await t.api(op.http.method, path, { token: t.adminToken });
      expect(unknownOperation(routed.body), `${op.http.method} ${path}`).toBe(false);
      expect(routed.status, `${op.http.method} ${path}`).toBeLessThan(500);
    }
    expect((await t.api('POST', '/api/v1/ops/no_such_op', { body: {} })).status).toBe(404);
  });

  it('is a CLI sub-command', () => {
    const commands = new Set(buildProgram().commands.map((c) => c.name()));
    for (const name of names) expect(commands.has(name), `switchboard ${name}`).toBe(true);
  });

  it('waits without a client-side timeout exactly where the catalog says an operation blocks', () => {
    const blocking = catalog
      .filter((op) => op.blocking)
      .map((op) => op.name)
      .sort();
    expect([...BLOCKING_OPERATIONS].sort()).toEqual(blocking);
  });

  it('is a typed client method that reaches the hub', async () => {
    const client = new HubClient({ url: t.url, token: agent.token }) as unknown as Record<
      string,
      (input?: unknown, opts?: unknown) => Promise<unknown>
    >;
    for (const name of names) {
      const input = name === 'wait_for_messages' ? { timeout_seconds: 0 } : {};
      try {
        await client[name](input);
      } catch (err) {
        expect(err, name).toBeInstanceOf(SwitchboardError);
        const e = err as SwitchboardError;
        expect(e.code === 'not_found' && /no operation/i.test(e.message), `${name}: ${e.message}`).toBe(
          false,
        );
        expect(e.code, `${name}: ${e.message}`).not.toBe('internal');
      }
    }
  });

  it('is reachable as a WebSocket call frame', async () => {
    const ws = new WebSocket(`${t.url.replace('http', 'ws')}/ws/${agent.id}?token=${agent.token}`);
    const frames = new Map<number, any>();
    let waiting: (() => void) | undefined;
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data));
      if (typeof frame.id === 'number') {
        frames.set(frame.id, frame);
        waiting?.();
      }
    });
    await new Promise((resolve) => ws.once('open', resolve));
    names.forEach((name, i) => {
      const input = name === 'wait_for_messages' ? { timeout_seconds: 0 } : {};
      ws.send(JSON.stringify({ type: 'call', id: i, op: name, input }));
    });
    const deadline = Date.now() + 10_000;
    while (frames.size < names.length && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        waiting = resolve;
        setTimeout(resolve, 200);
      });
    }
    expect([...frames.keys()].sort((a, b) => a - b)).toEqual(names.map((_n, i) => i));
    names.forEach((name, i) => {
      const frame = frames.get(i);
      expect(['result', 'error'], name).toContain(frame.type);
      if (frame.type === 'error') {
        expect(frame.error.code === 'not_found' && /no operation/i.test(frame.error.message), name).toBe(
          false,
        );
        expect(frame.error.code, name).not.toBe('internal');
      }
    });
    ws.close();
  });
});
