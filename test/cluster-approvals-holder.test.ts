/**
 * Held gateway calls whose node stops (real PostgreSQL, several nodes). A call held for approval
 * waits in the memory of the node holding it (`node_id` on the approval). That node is a real
 * `switchboard serve --db` child: killed with SIGKILL, the survivors notice once its heartbeats are
 * stale and end its pending calls as `failed`, naming it, so `list_approvals` tells the truth and
 * deciding one is a clear conflict; a relayed permission prompt (any node serves its requester) is
 * not ended with it. Closed with SIGTERM, the node ends its own held calls on the way out and its
 * caller hears why. Killed and started again before anyone noticed, it ends its previous run’s held
 * calls itself. Needs dist/ (`npm run build`).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect2025, textOf } from './mcp-clients.js';
import { startTestHub, type TestHub } from './helpers/hub.js';
import { createTestDatabase, hasPostgres, type TestDatabase } from './helpers/postgres.js';
import { eventually, FIXTURE } from './gateway-support.js';
import { type NodeProcess, startNodeProcess } from './helpers/node-process.js';

const ADMIN = 'cluster-holder-admin-token-0123456789';
const approvals = {
  timeoutSeconds: 600,
  permissionTimeoutSeconds: 600,
  rules: [{ tools: ['fixture__fixture_echo'], args: { text: '^danger' }, reason: 'dangerous echo' }],
};

let db: TestDatabase;
let a: TestHub;
let b: TestHub;
const children: ChildProcess[] = [];
const homes: string[] = [];
const clients: Client[] = [];

/** A node process holding the downstream server (the others only see and decide its calls). */
async function holder(
  dbUrl = db.url,
  home = mkdtempSync(join(tmpdir(), 'switchboard-holder-')),
): Promise<NodeProcess & { id: string }> {
  homes.push(home);
  const config = join(home, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({
      gateway: { approvals, servers: [{ name: 'fixture', command: process.execPath, args: [FIXTURE] }] },
    }),
  );
  const node = await startNodeProcess({
    db: dbUrl,
    home,
    config,
    env: { SWITCHBOARD_ADMIN_TOKEN: ADMIN },
    track: (proc) => children.push(proc),
  });
  await eventually(async () => {
    const res = await api(node.url, 'GET', '/api/v1/gateway/health?name=fixture');
    return res.body.servers?.[0]?.state === 'ready';
  });
  return { ...node, id: readFileSync(join(home, 'node-id'), 'utf8').trim() };
}

async function api(url: string, method: string, path: string, body?: unknown, token = ADMIN) {
  const res = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function approvalOn(hub: TestHub, id: string) {
  const res = await hub.api('GET', '/api/v1/gateway/approvals?limit=1000', { token: ADMIN });
  return res.body.approvals.find((x: { id: string }) => x.id === id);
}

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

/** Calls the held tool through the node, as an agent of it; the call's outcome, whatever it is. */
async function holdCall(node: NodeProcess, text: string) {
  const agent = await api(node.url, 'POST', '/api/v1/agents/register', { name: `caller-${text}` });
  const client = await connect2025(node.url, { token: agent.body.token });
  clients.push(client);
  const outcome = client.callTool({ name: 'fixture__fixture_echo', arguments: { text } }).then(
    (result) => ({ result }),
    (error: unknown) => ({ error }),
  );
  return { agent: agent.body as { agent_id: string; token: string }, outcome };
}

const nodesOn = async (hub: TestHub) =>
  (await hub.api('GET', '/health')).body.nodes as Array<{ node_id: string; state: string }>;

beforeAll(async () => {
  if (!hasPostgres()) return;
  db = await createTestDatabase();
  // Two survivors without the downstream server: they list and decide.
  a = await startTestHub({ db: db.url, adminToken: ADMIN, gateway: { approvals } });
  b = await startTestHub({ db: db.url, adminToken: ADMIN, gateway: { approvals } });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
  for (const c of children) c.kill('SIGKILL');
  await a?.close();
  await b?.close();
  for (const h of homes) rmSync(h, { recursive: true, force: true });
  await db?.drop();
});

describe.runIf(hasPostgres())('a call held on a node that stops', () => {
  it('killed (SIGKILL): its pending calls end as failed, naming it; deciding one is a clear conflict', async () => {
    const dying = await holder();
    const { agent } = await holdCall(dying, 'danger kill');
    await holdCall(dying, 'danger kill, undecided');
    const held = await pendingOn(b, (x) => x.args.text === 'danger kill');
    const undecided = await pendingOn(b, (x) => x.args.text === 'danger kill, undecided');
    expect(held).toMatchObject({ kind: 'gateway_call', node_id: dying.id, status: 'pending' });
    // A permission prompt relayed through the same node: nothing of it is held there.
    const prompt = await api(
      dying.url,
      'POST',
      '/api/v1/gateway/permissions',
      { request_id: 'holdr', tool_name: 'Bash', description: 'ls', input_preview: '{}' },
      agent.token,
    );
    expect(prompt.status).toBe(201);
    expect(prompt.body.approval).toMatchObject({ node_id: null, status: 'pending' });

    dying.proc.kill('SIGKILL');
    await new Promise((r) => dying.proc.once('exit', r));

    // Once its heartbeats are stale it is no longer listed; its held call cannot be released, so
    // deciding it (on B, at once: the sweep may or may not have run) is a conflict saying why.
    await eventually(
      async () => !(await nodesOn(b)).some((n) => n.node_id === dying.id),
      45_000,
      'the killed node dropping out of the node list',
    );
    const approve = await b.api('POST', `/api/v1/gateway/approvals/${held.id}/approve`, {
      token: ADMIN,
      body: { reason: 'too late' },
    });
    expect(approve.status).toBe(409);
    expect(approve.body.error.code).toBe('conflict');
    expect(approve.body.error.message).toMatch(
      new RegExp(
        `^Approval ${held.id} can no longer be decided: it ended at \\S+ \\(the hub node holding the call \\(${dying.id}\\) stopped before a decision \\(no heartbeat since \\S+\\)\\)`,
      ),
    );
    // Every node lists the truth.
    for (const hub of [a, b]) {
      expect(await approvalOn(hub, held.id)).toMatchObject({
        status: 'failed',
        decided_by: 'system',
        node_id: dying.id,
        reason: expect.stringContaining(`the hub node holding the call (${dying.id}) stopped`),
      });
    }
    // The one nobody decides is ended by the survivors' sweep alone, long before its 600 s timeout.
    const swept = await eventually(
      async () => {
        const x = await approvalOn(a, undecided.id);
        return x.status !== 'pending' ? x : null;
      },
      15_000,
      'the sweep ending the undecided call',
    );
    expect(swept).toMatchObject({
      status: 'failed',
      decided_by: 'system',
      reason: expect.stringMatching(
        new RegExp(
          `^the hub node holding the call \\(${dying.id}\\) stopped before a decision \\(no heartbeat since `,
        ),
      ),
    });
    const failed = await b.api('GET', '/api/v1/gateway/approvals?status=failed&limit=1000', { token: ADMIN });
    expect(failed.body.approvals.map((x: { id: string }) => x.id)).toEqual(
      expect.arrayContaining([held.id, undecided.id]),
    );
    // The permission prompt is left for its requester (and its expiry).
    expect(await approvalOn(a, prompt.body.approval.id)).toMatchObject({ status: 'pending' });
  }, 90_000);

  it('closed (SIGTERM): it ends the calls it holds on the way out, and is listed as left', async () => {
    const leaving = await holder();
    const { outcome } = await holdCall(leaving, 'danger term');
    const held = await pendingOn(a, (x) => x.args.text === 'danger term');
    expect(held.node_id).toBe(leaving.id);

    leaving.proc.kill('SIGTERM');
    const code = await new Promise((r) => leaving.proc.once('exit', r));
    expect(code).toBe(0);
    const reason = `the hub node holding the call (${leaving.id}) shut down before a decision`;
    expect(await approvalOn(b, held.id)).toMatchObject({ status: 'failed', decided_by: 'system', reason });
    // The caller heard why before its connection closed.
    const done = await outcome;
    expect('result' in done).toBe(true);
    const result = (done as { result: { isError?: boolean; content?: unknown } }).result;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain(`the hold ended without a decision: ${reason} [approval ${held.id}]`);
    expect((await nodesOn(a)).find((n) => n.node_id === leaving.id)).toMatchObject({ state: 'left' });
    const deny = await a.api('POST', `/api/v1/gateway/approvals/${held.id}/deny`, { token: ADMIN });
    expect(deny.status).toBe(409);
    expect(deny.body.error.message).toContain(`can no longer be decided: it ended at`);
  }, 60_000);

  it('killed and started again before anyone noticed: it ends its previous run’s held calls itself', async () => {
    // A database of its own: no other node sweeps, so only the restarted node can end the call.
    const own = await createTestDatabase();
    try {
      const first = await holder(own.url);
      await holdCall(first, 'danger restart');
      const pending = await eventually(async () => {
        const res = await api(first.url, 'GET', '/api/v1/gateway/approvals?status=pending');
        return res.body.approvals[0];
      });
      expect(pending.node_id).toBe(first.id);
      first.proc.kill('SIGKILL');
      await new Promise((r) => first.proc.once('exit', r));
      const home = homes.at(-1)!;
      const again = await holder(own.url, home);
      expect(again.id).toBe(first.id);
      const ended = (await api(again.url, 'GET', '/api/v1/gateway/approvals?limit=10')).body.approvals;
      expect(ended.find((x: { id: string }) => x.id === pending.id)).toMatchObject({
        status: 'failed',
        decided_by: 'system',
        node_id: first.id,
        reason: `the hub node holding the call (${first.id}) restarted before a decision`,
      });
      again.proc.kill('SIGTERM');
      await new Promise((r) => again.proc.once('exit', r));
    } finally {
      await own.drop();
    }
  }, 60_000);
});
