/**
 * Hostile input over MCP: garbage bodies POSTed to /mcp in either protocol era, and every tool called
 * with hostile arguments through official SDK clients (a 2025-era session and a 2026-07-28 client).
 * Never a 5xx, never an internal error or a stack trace; a refused call writes nothing; the hub stays up.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalog } from '../src/ops/catalog.js';
import { type TestHub, startTestHub } from './helpers/hub.js';
import { connect2025, connect2026, textOf } from './mcp-clients.js';
import {
  contentTypes,
  expectPrototypesClean,
  fingerprint,
  garbageBody,
  hostileValue,
  nastyKeys,
  pollutedJson,
  raw,
} from './hostile-support.js';

let t: TestHub;
let agent: { id: string; token: string };

beforeAll(async () => {
  t = await startTestHub({
    rateLimit: { enabled: false },
    http: { bodyLimitBytes: 256 * 1024 },
    messages: { defaultWaitSeconds: 0, maxWaitSeconds: 1 },
  });
  agent = await t.register('Target', { agent_id: 'target' });
});
afterAll(async () => {
  await t.close();
});

const STACK = /\n\s+at .+\(.*:\d+:\d+\)/;

/** Operations the hub has run, from its own metrics. */
async function operationsCalled(): Promise<number> {
  const metric = await t.hub.metrics.operations.get();
  return metric.values.reduce((sum, v) => sum + v.value, 0);
}

const jsonRpcShaped = fc.record(
  {
    jsonrpc: fc.oneof(fc.constant('2.0'), hostileValue),
    id: fc.oneof(fc.integer(), fc.string({ maxLength: 8 }), fc.constant(null), hostileValue),
    method: fc.oneof(
      fc.constantFrom(
        'initialize',
        'tools/list',
        'tools/call',
        'resources/read',
        'resources/subscribe',
        'ping',
      ),
      fc.constantFrom(
        'server/discover',
        'subscriptions/listen',
        'logging/setLevel',
        'notifications/initialized',
      ),
      fc.string({ maxLength: 30 }),
    ),
    params: fc.oneof(
      hostileValue,
      fc.record({
        name: fc.constantFrom(...catalog.map((op) => op.name), '../x', ''),
        arguments: hostileValue,
      }),
      fc.record({
        uri: fc.oneof(fc.constantFrom('switchboard://inbox/victim', 'switchboard://agents'), fc.string()),
      }),
    ),
  },
  { requiredKeys: [] },
);

const eraHeaders = fc.constantFrom<Record<string, string>>(
  {},
  { 'mcp-protocol-version': '2025-11-25' },
  { 'mcp-protocol-version': '2026-07-28' },
  { 'mcp-protocol-version': 'garbage' },
  { 'mcp-session-id': 'no-such-session' },
);

describe('hostile input over MCP', () => {
  it('property: any body, content type and era headers POSTed to /mcp get a 4xx or a JSON-RPC answer, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          garbageBody,
          pollutedJson,
          jsonRpcShaped.map((v) => JSON.stringify(v)),
        ),
        fc.constantFrom(...contentTypes),
        eraHeaders,
        fc.boolean(),
        async (body, contentType, era, withToken) => {
          const headers: Record<string, string> = { accept: 'application/json, text/event-stream', ...era };
          if (contentType) headers['content-type'] = contentType;
          if (withToken) headers.authorization = `Bearer ${agent.token}`;
          const res = await raw(t, 'POST', '/mcp', { body, headers });
          const what = `POST /mcp ${JSON.stringify(era)} ${contentType} ${body.slice(0, 120)}`;
          expect(res.status, `${what} → ${res.text.slice(0, 200)}`).toBeLessThan(500);
          expect(res.text, what).not.toMatch(STACK);
          if (res.json?.error) expect(res.json.error.code, what).not.toBe(-32603);
        },
      ),
      { numRuns: 150 },
    );
    expect((await t.api('GET', '/health')).status).toBe(200);
    expectPrototypesClean();
  });

  it('property: every tool with hostile arguments, in both eras: a clear tool error or a success, and a refused call writes nothing', async () => {
    const clients = [
      await connect2025(t.url, { token: agent.token }),
      await connect2026(t.url, { token: agent.token }),
    ];
    const tally = { ok: 0, refused: 0 };
    const operationsBefore = await operationsCalled();
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...catalog.map((op) => op.name)),
          fc.oneof(
            fc.dictionary(
              fc.constantFrom(...nastyKeys, 'to', 'body', 'agent_id', 'name', 'query'),
              hostileValue,
              {
                maxKeys: 4,
              },
            ),
            fc.dictionary(fc.string({ maxLength: 12 }), hostileValue, { maxKeys: 3 }),
          ),
          fc.nat({ max: 1 }),
          async (tool, args, which) => {
            const before = await fingerprint(t);
            let result: { isError?: boolean; content?: unknown };
            try {
              result = (await clients[which].callTool({ name: tool, arguments: args })) as typeof result;
            } catch (err) {
              // A protocol-level refusal (e.g. invalid params) is fine; an internal error is not.
              const e = err as { code?: number; message?: string };
              expect(e.code, `${tool} ${JSON.stringify(args).slice(0, 200)}: ${e.message}`).not.toBe(-32603);
              expect(String(e.message)).not.toMatch(STACK);
              expect(await fingerprint(t)).toBe(before);
              tally.refused++;
              return;
            }
            const text = textOf(result);
            expect(text).not.toMatch(STACK);
            if (result.isError) {
              expect(text, `${tool}: ${text}`).toMatch(/^[a-z_]+: /);
              expect(text, `${tool}: ${text}`).not.toMatch(/^internal: /);
              expect(await fingerprint(t), `${tool} refused but wrote`).toBe(before);
              tally.refused++;
            } else {
              tally.ok++;
            }
          },
        ),
        { numRuns: 200 },
      );
    } finally {
      for (const c of clients) await c.close();
    }
    expect(tally.refused).toBeGreaterThan(0);
    // The hostile arguments reached the hub's operations (not refused by the client SDK alone).
    expect((await operationsCalled()) - operationsBefore).toBeGreaterThan(150);
    expect((await t.api('GET', '/health')).status).toBe(200);
    expectPrototypesClean();
  });
});
