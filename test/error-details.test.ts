/**
 * An error keeps its code and details on every surface: a stale compare-and-set `set_context`
 * (conflict, with the key's current version and value in details) over MCP (both eras: the error
 * tool result's structuredContent and its text), REST, a WebSocket call frame, the TypeScript client
 * (REST and socket) and `switchboard <op> --json`.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { HubClient, HubSocket, SwitchboardError } from '../src/client/index.js';
import { hubForFile } from './helpers/hub.js';
import { connect2025, connect2026, textOf } from './mcp-clients.js';

const BIN = join(import.meta.dirname, '..', 'bin', 'switchboard.js');
const CURRENT = { owner: 'first-writer', files: ['a.ts'] };

let agent: { id: string; token: string };

/** A set_context of `key` that is stale: the key is at version 1 with CURRENT, the write expects 0. */
const staleSet = (key: string) => ({
  scope: 'global' as const,
  key,
  value: { owner: 'late' },
  expected_version: 0,
});

async function seed(key: string): Promise<void> {
  const res = await t.api('PUT', `/api/v1/context/global/${key}`, {
    token: agent.token,
    body: { value: CURRENT },
  });
  expect(res.status).toBe(200);
  expect(res.body.version).toBe(1);
}

const CONFLICT_DETAILS = { current_version: 1, current_value: CURRENT };

const t = hubForFile({ rateLimit: { enabled: false } });
beforeAll(async () => {
  agent = await t.register('conflicted');
});

describe('a stale set_context conflict keeps its code and details', () => {
  it('over REST (the reference shape)', async () => {
    await seed('rest-key');
    const res = await t.api('PUT', '/api/v1/context/global/rest-key', {
      token: agent.token,
      body: { value: { owner: 'late' }, expected_version: 0 },
    });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'conflict', details: CONFLICT_DETAILS });
  });

  for (const [era, connect] of [
    ['2025', connect2025],
    ['2026', connect2026],
  ] as const) {
    it(`over MCP, ${era} client: structuredContent {error:{code,message,details}} and the text`, async () => {
      const key = `mcp-${era}`;
      await seed(key);
      const client = await connect(t.url, { token: agent.token });
      try {
        const result = await client.callTool({ name: 'set_context', arguments: staleSet(key) });
        expect(result.isError).toBe(true);
        const error = (result.structuredContent as { error: Record<string, unknown> }).error;
        expect(error).toMatchObject({ code: 'conflict', details: CONFLICT_DETAILS });
        expect(error.message).toMatch(/is at version 1/);
        const text = textOf(result);
        expect(text).toMatch(/^conflict: /);
        expect(text).toContain('"current_version":1');
        expect(text).toContain('"owner":"first-writer"');
      } finally {
        await client.close();
      }
    });
  }

  it('over a WebSocket call frame', async () => {
    await seed('ws-key');
    const ws = new WebSocket(`${t.url.replace('http', 'ws')}/ws/${agent.id}`, {
      headers: { authorization: `Bearer ${agent.token}` },
    });
    try {
      const frames: Array<Record<string, any>> = [];
      const answered = new Promise<Record<string, any>>((resolve, reject) => {
        ws.on('error', reject);
        ws.on('message', (data) => {
          const frame = JSON.parse(String(data));
          frames.push(frame);
          if (frame.type === 'ready')
            ws.send(JSON.stringify({ type: 'call', id: 7, op: 'set_context', input: staleSet('ws-key') }));
          if (frame.id === 7) resolve(frame);
        });
      });
      const frame = await answered;
      expect(frame.type).toBe('error');
      expect(frame.error).toMatchObject({ code: 'conflict', details: CONFLICT_DETAILS });
    } finally {
      ws.close();
    }
  });

  it('in the TypeScript client, over REST and over its socket', async () => {
    await seed('client-key');
    const hub = new HubClient({ url: t.url, token: agent.token });
    const viaRest = await hub.set_context(staleSet('client-key')).catch((e: unknown) => e);
    expect(viaRest).toBeInstanceOf(SwitchboardError);
    expect(viaRest).toMatchObject({ code: 'conflict', status: 409, details: CONFLICT_DETAILS });

    const socket = new HubSocket({ url: t.url, token: agent.token, agentId: agent.id, onMessage() {} });
    await socket.start();
    try {
      const viaSocket = await socket.call('set_context', staleSet('client-key')).catch((e: unknown) => e);
      expect(viaSocket).toBeInstanceOf(SwitchboardError);
      expect(viaSocket).toMatchObject({ code: 'conflict', details: CONFLICT_DETAILS });
    } finally {
      await socket.close();
    }
  });

  it('in `switchboard set_context --json` output (and its exit code)', async () => {
    await seed('cli-key');
    const out = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(
        process.execPath,
        [BIN, 'set_context', '--input', JSON.stringify(staleSet('cli-key')), '--json'],
        {
          env: {
            PATH: process.env.PATH ?? '',
            SWITCHBOARD_URL: t.url,
            SWITCHBOARD_TOKEN: agent.token,
            SWITCHBOARD_HOME: t.home,
            LOG_LEVEL: 'silent',
          },
          timeout: 30_000,
        },
        (err, stdout) => resolve({ code: err ? Number(err.code) : 0, stdout }),
      );
    });
    expect(out.code).toBe(5); // conflict
    expect(JSON.parse(out.stdout)).toMatchObject({
      success: false,
      error: { code: 'conflict', details: CONFLICT_DETAILS },
    });
  });
});
