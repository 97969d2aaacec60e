/**
 * Approvals across the nodes of a cluster (real PostgreSQL, two hubs in one process on one database):
 * a downstream call held on node A waits there, and a decision made on node B — approve or deny —
 * releases it on A exactly once (the store records one decision; the cluster bus tells A). A
 * permission prompt relayed through A's bridge (`switchboard mcp --permission-relay`, a real child)
 * and decided on B reaches the session on A. Needs the build (the bridge runs from bin/).
 */
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { connect2025, textOf } from './mcp-clients.js';
import { startTestHub, type TestHub } from './helpers/hub.js';
import { createTestDatabase, type TestDatabase } from './helpers/postgres.js';
import { eventually, FIXTURE } from './gateway-support.js';

const BIN = join(import.meta.dirname, '..', 'bin', 'switchboard.js');
const ADMIN = 'cluster-approvals-admin-token-0123456789';

let db: TestDatabase;
let a: TestHub;
let b: TestHub;
let caller: Client;
const clients: Client[] = [];

async function pendingOn(hub: TestHub, match: (x: any) => boolean) {
  return eventually(
    async () => {
      const res = await hub.api('GET', '/api/v1/gateway/approvals?status=pending&limit=1000', {
        token: ADMIN,
      });
      return res.body.approvals.find(match);
    },
    15_000,
    'a pending approval',
  );
}

beforeAll(async () => {
  db = await createTestDatabase();
  const approvals = {
    timeoutSeconds: 120,
    permissionTimeoutSeconds: 600,
    rules: [{ tools: ['fixture__fixture_echo'], args: { text: '^danger' }, reason: 'dangerous echo' }],
  };
  a = await startTestHub({
    db: db.url,
    adminToken: ADMIN,
    gateway: { approvals, servers: [{ name: 'fixture', command: process.execPath, args: [FIXTURE] }] },
  });
  // B has no downstream server: it only decides.
  b = await startTestHub({ db: db.url, adminToken: ADMIN, gateway: { approvals } });
  await eventually(async () => {
    const res = await a.api('GET', '/api/v1/gateway/health?name=fixture', { token: ADMIN });
    return res.body.servers[0].state === 'ready';
  });
  const agent = await a.register('held-caller');
  caller = await connect2025(a.url, { token: agent.token });
  clients.push(caller);
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
  await a?.close();
  await b?.close();
  await db?.drop();
});

describe('a call held on node A, decided on node B', () => {
  it('approved via B: the call proceeds on A, once', async () => {
    const call = caller.callTool({ name: 'fixture__fixture_echo', arguments: { text: 'danger approve' } });
    const held = await pendingOn(b, (x) => x.args.text === 'danger approve');
    const res = await b.api('POST', `/api/v1/gateway/approvals/${held.id}/approve`, {
      token: ADMIN,
      body: { reason: 'fine by B' },
    });
    expect(res.status).toBe(200);
    const result = await call;
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toBe('danger approve');
    // One decision, visible from both nodes; a second one is refused on either.
    const again = await a.api('POST', `/api/v1/gateway/approvals/${held.id}/deny`, { token: ADMIN });
    expect(again.status).toBe(409);
    const listed = await a.api('GET', '/api/v1/gateway/approvals?limit=1000', { token: ADMIN });
    expect(listed.body.approvals.find((x: any) => x.id === held.id)).toMatchObject({
      status: 'approved',
      decided_by: 'admin',
      reason: 'fine by B',
    });
  });

  it('denied via B: the call fails on A with the reason', async () => {
    const call = caller.callTool({ name: 'fixture__fixture_echo', arguments: { text: 'danger deny' } });
    const held = await pendingOn(b, (x) => x.args.text === 'danger deny');
    const res = await b.api('POST', `/api/v1/gateway/approvals/${held.id}/deny`, {
      token: ADMIN,
      body: { reason: 'not from B' },
    });
    expect(res.status).toBe(200);
    const result = await call;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(
      /^forbidden: fixture__fixture_echo needs approval \(dangerous echo\); denied by admin: not from B/,
    );
  });
});

describe('a permission prompt relayed through node A', () => {
  it('decided on node B: the session on A gets the answer', async () => {
    const agent = await a.register('relay-on-a', { project: 'alpha' });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, 'mcp', '--permission-relay'],
      env: {
        PATH: process.env.PATH ?? '',
        LOG_LEVEL: 'silent',
        SWITCHBOARD_URL: a.url,
        SWITCHBOARD_HOME: a.home,
        SWITCHBOARD_TOKEN: agent.token,
      },
      stderr: 'pipe',
    });
    const client = new Client({ name: 'claude-code-stand-in', version: '1.0.0' });
    const answers: Array<{ request_id: string; behavior: string }> = [];
    const heard = new Map<string, (x: { request_id: string; behavior: string }) => void>();
    client.setNotificationHandler(
      'notifications/claude/channel/permission',
      { params: z.object({ request_id: z.string(), behavior: z.string() }) },
      (params) => {
        answers.push(params);
        heard.get(params.request_id)?.(params);
      },
    );
    await client.connect(transport);
    clients.push(client);
    const answerTo = (id: string) =>
      new Promise<{ request_id: string; behavior: string }>((resolve) => {
        const have = answers.find((x) => x.request_id === id);
        if (have) resolve(have);
        else heard.set(id, resolve);
      });
    const prompt = (request_id: string) =>
      client.notification({
        method: 'notifications/claude/channel/permission_request',
        params: { request_id, tool_name: 'Bash', description: 'run it', input_preview: '{}' },
      });

    await prompt('onbxa');
    const first = await pendingOn(b, (x) => x.request_id === 'onbxa');
    expect(
      (await b.api('POST', `/api/v1/gateway/approvals/${first.id}/approve`, { token: ADMIN })).status,
    ).toBe(200);
    expect(await answerTo('onbxa')).toEqual({ request_id: 'onbxa', behavior: 'allow' });

    await prompt('onbxd');
    const second = await pendingOn(b, (x) => x.request_id === 'onbxd');
    expect(
      (await b.api('POST', `/api/v1/gateway/approvals/${second.id}/deny`, { token: ADMIN })).status,
    ).toBe(200);
    expect(await answerTo('onbxd')).toEqual({ request_id: 'onbxd', behavior: 'deny' });
    // Each answered exactly once.
    expect(answers.filter((x) => x.request_id === 'onbxa')).toHaveLength(1);
    expect(answers.filter((x) => x.request_id === 'onbxd')).toHaveLength(1);
  });
});
