/**
 * Approvals: a downstream call matching a rule (tool glob + argument pattern) waits, with progress
 * notifications, until an admin approves it (the caller gets the result), denies it (the caller gets
 * a forbidden error with the reason) or the approval timeout passes (denied). Every decision is
 * stored with who and when. Real fixture server over stdio behind a real hub.
 */
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect2025, textOf } from './mcp-clients.js';
import { startTestHub, type TestHub } from './helpers/hub.js';
import { eventually, FIXTURE, pendingApproval } from './gateway-support.js';

let t: TestHub;
let caller: Client;
let adminClient: Client;
let agentId: string;

async function approval(id: string) {
  const res = await t.api('GET', '/api/v1/gateway/approvals?limit=1000', { token: t.adminToken });
  return res.body.approvals.find((a: { id: string }) => a.id === id);
}

beforeAll(async () => {
  t = await startTestHub({
    gateway: {
      approvals: {
        timeoutSeconds: 120,
        rules: [
          { tools: ['fixture__*echo'], args: { text: '^danger' }, reason: 'dangerous echo' },
          { tools: ['fixture__fixture_echo'], args: { text: '^slow' }, timeoutSeconds: 1 },
        ],
      },
      servers: [{ name: 'fixture', command: process.execPath, args: [FIXTURE] }],
    },
  });
  await eventually(async () => {
    const res = await t.api('GET', '/api/v1/gateway/health?name=fixture', { token: t.adminToken });
    return res.body.servers[0].state === 'ready';
  });
  const agent = await t.register('approval-caller');
  agentId = agent.id;
  caller = await connect2025(t.url, { token: agent.token });
  adminClient = await connect2025(t.url, { token: t.adminToken });
});

afterAll(async () => {
  await caller?.close().catch(() => {});
  await adminClient?.close().catch(() => {});
  await t?.close();
});

describe('gateway approvals', () => {
  it('a call matching no rule is not held', async () => {
    const res = await caller.callTool({ name: 'fixture__fixture_echo', arguments: { text: 'harmless' } });
    expect(textOf(res)).toBe('harmless');
  });

  it('hold → approve → the caller gets the result; progress while waiting; decision audited', async () => {
    const progress: string[] = [];
    const call = caller.callTool({ name: 'fixture__fixture_echo', arguments: { text: 'danger one' } }, {
      onprogress: (p: { message?: string }) => progress.push(p.message ?? ''),
    } as never);
    const held = await pendingApproval(t, 'danger one');
    expect(held).toMatchObject({
      tool: 'fixture__fixture_echo',
      server: 'fixture',
      rule: 'dangerous echo',
      requested_by: `agent:${agentId}`,
      decided_by: null,
    });
    await eventually(() => progress.length > 0, 10_000, 'a progress notification');
    expect(progress[0]).toContain(held.id);

    const res = await t.api('POST', `/api/v1/gateway/approvals/${held.id}/approve`, {
      token: t.adminToken,
      body: { reason: 'looked fine' },
    });
    expect(res.status).toBe(200);
    const result = await call;
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toBe('danger one');

    const audited = await approval(held.id);
    expect(audited).toMatchObject({ status: 'approved', decided_by: 'admin', reason: 'looked fine' });
    expect(Date.parse(audited.decided_at)).toBeGreaterThanOrEqual(Date.parse(audited.requested_at));

    const again = await t.api('POST', `/api/v1/gateway/approvals/${held.id}/deny`, { token: t.adminToken });
    expect(again.status).toBe(409);
  });

  it('deny (through the deny_call tool): the caller gets forbidden with the reason', async () => {
    const call = caller.callTool({ name: 'fixture__fixture_echo', arguments: { text: 'danger two' } });
    const held = await pendingApproval(t, 'danger two');
    const denied = await adminClient.callTool({
      name: 'deny_call',
      arguments: { id: held.id, reason: 'not today' },
    });
    expect(denied.isError).toBeFalsy();
    const result = await call;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(
      /^forbidden: fixture__fixture_echo needs approval \(dangerous echo\); denied by admin: not today/,
    );
    expect(await approval(held.id)).toMatchObject({
      status: 'denied',
      decided_by: 'admin',
      reason: 'not today',
    });
  });

  it('no decision before the approval timeout: denied', async () => {
    const result = await caller.callTool({ name: 'fixture__fixture_echo', arguments: { text: 'slow one' } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^forbidden: .*no decision within 1 s/);
    const res = await t.api('GET', '/api/v1/gateway/approvals?status=timed_out', { token: t.adminToken });
    expect(res.body.approvals[0]).toMatchObject({ args: { text: 'slow one' }, decided_by: 'system' });
  });

  it('/metrics counts calls per server and tool, errors by type, and shows health and breaker', async () => {
    const res = await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${t.adminToken}` } });
    const text = await res.text();
    const value = (line: string) => {
      const found = text.split('\n').find((l) => l.startsWith(`${line} `));
      return found === undefined ? undefined : Number(found.slice(line.length + 1));
    };
    const labels = 'server="fixture",tool="fixture_echo"';
    expect(value(`mcp_requests_total{${labels},outcome="ok"}`)).toBeGreaterThanOrEqual(2);
    expect(value(`mcp_requests_total{${labels},outcome="error"}`)).toBeGreaterThanOrEqual(2);
    expect(value(`mcp_errors_total{${labels},type="denied"}`)).toBeGreaterThanOrEqual(2);
    expect(value(`mcp_request_duration_seconds_count{${labels}}`)).toBeGreaterThanOrEqual(4);
    expect(value('mcp_service_health{server="fixture",health="healthy"}')).toBe(1);
    expect(value('mcp_service_health{server="fixture",health="unhealthy"}')).toBe(0);
    expect(value('mcp_circuit_breaker_state{server="fixture",state="closed"}')).toBe(1);
  });

  it('only the admin may list or decide approvals', async () => {
    const agent = await t.register('not-admin');
    const res = await t.api('GET', '/api/v1/gateway/approvals', { token: agent.token });
    expect(res.status).toBe(403);
  });

  it('a hub that closes ends the calls it holds: failed, with its node, and the caller hears why', async () => {
    const gateway = {
      approvals: { timeoutSeconds: 120, rules: [{ tools: ['fixture__*echo'], args: { text: '^danger' } }] },
      servers: [{ name: 'fixture', command: process.execPath, args: [FIXTURE] }],
    };
    const closing = await startTestHub({ gateway });
    const admin = { token: closing.adminToken };
    let again: TestHub | undefined;
    const client = await connect2025(closing.url, { token: (await closing.register('held-at-close')).token });
    try {
      await eventually(async () => {
        const res = await closing.api('GET', '/api/v1/gateway/health?name=fixture', admin);
        return res.body.servers[0].state === 'ready';
      });
      const call = client.callTool({ name: 'fixture__fixture_echo', arguments: { text: 'danger close' } });
      const held = await eventually(async () => {
        const res = await closing.api('GET', '/api/v1/gateway/approvals?status=pending', admin);
        return res.body.approvals[0];
      });
      const node = closing.hub.services.info.nodes.id;
      expect(held.node_id).toBe(node);
      await closing.hub.close(); // the hub only: its data directory (and database) stay
      const result = await call;
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(
        /the hold ended without a decision: the hub (node holding the call \(\S+\) )?shut down/,
      );
      again = await startTestHub({ home: closing.home, gateway: { approvals: gateway.approvals } });
      const res = await again.api('GET', '/api/v1/gateway/approvals?status=failed', {
        token: again.adminToken,
      });
      expect(res.body.approvals).toEqual([
        expect.objectContaining({ id: held.id, node_id: node, decided_by: 'system', status: 'failed' }),
      ]);
    } finally {
      await client.close().catch(() => {});
      if (again) await again.close();
      else await closing.close().catch(() => {});
    }
  });
});
