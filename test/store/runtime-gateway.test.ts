/**
 * GatewayStore conformance: run-time servers, the approvals queue and grants on SQLite and
 * PostgreSQL, and one decision per approval when several nodes decide it at once.
 */
import { expect, it } from 'vitest';
import type { ApprovalDecision, StoredApproval } from '../../src/store/gateway.js';
import { describeStores } from '../helpers/stores.js';

const T0 = Date.parse('2026-12-06T10:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

function approval(id: string, extra: Partial<StoredApproval> = {}): StoredApproval {
  return {
    id,
    kind: 'gateway_call',
    agentId: 'ag_1',
    project: 'alpha',
    permission: null,
    tool: 'fs__write_file',
    server: 'fs',
    args: { path: '/etc/x', content: 'y' },
    rule: 'writes need a person',
    correlationId: `corr-${id}`,
    requestedBy: 'agent:ag_1',
    requestedAt: at(0),
    expiresAt: at(300),
    status: 'pending',
    decidedBy: null,
    decidedAt: null,
    reason: null,
    nodeId: 'node_01HOLDER',
    ...extra,
  };
}

const decision = (status: ApprovalDecision['status'], by: string, s = 10): ApprovalDecision => ({
  status,
  decidedBy: by,
  decidedAt: at(s),
  reason: `${status} by ${by}`,
});

describeStores('gateway store', (open) => {
  it('adds a server once per name, lists them by name and removes them', async () => {
    const { store } = await open();
    const spec = { transport: 'stdio', command: 'node', args: ['srv.js'], env: { B: '1', A: '2' } };
    expect(await store.gateway.addServer({ name: 'zeta', spec, createdAt: at(1), createdBy: 'admin' })).toBe(
      true,
    );
    expect(
      await store.gateway.addServer({ name: 'Alpha', spec: {}, createdAt: at(2), createdBy: null }),
    ).toBe(true);
    expect(await store.gateway.addServer({ name: 'zeta', spec: {}, createdAt: at(3), createdBy: null })).toBe(
      false,
    );
    const list = await store.gateway.listServers();
    expect(list).toEqual([
      { name: 'Alpha', spec: {}, createdAt: at(2), createdBy: null },
      { name: 'zeta', spec, createdAt: at(1), createdBy: 'admin' },
    ]);
    expect(Object.keys(list[1].spec.env as object)).toEqual(['B', 'A']);
    expect(await store.gateway.removeServer('zeta')).toBe(true);
    expect(await store.gateway.removeServer('zeta')).toBe(false);
    expect((await store.gateway.listServers()).map((s) => s.name)).toEqual(['Alpha']);
  });

  it('keeps approvals of both kinds as they were queued', async () => {
    const { store } = await open();
    const call = approval('ap_1');
    const prompt = approval('ap_2', {
      kind: 'permission',
      permission: { requestId: 'abcde', description: 'Run npm test', inputPreview: '{"command":"npm test"}' },
      tool: 'Bash',
      server: 'claude-code',
      args: {},
      rule: null,
      nodeId: null,
    });
    const admins = approval('ap_3', { agentId: null, project: null, requestedBy: 'admin' });
    for (const a of [call, prompt, admins]) await store.gateway.addApproval(a);
    expect(await store.gateway.getApproval('ap_1')).toEqual(call);
    expect(await store.gateway.getApproval('ap_2')).toEqual(prompt);
    expect(await store.gateway.getApproval('ap_3')).toEqual(admins);
    expect(await store.gateway.getApproval('ap_none')).toBeUndefined();
  });

  it('records a decision on a pending approval only', async () => {
    const { store } = await open();
    await store.gateway.addApproval(approval('ap_1'));
    expect(await store.gateway.decideApproval('ap_1', decision('approved', 'admin'))).toBe(true);
    expect(await store.gateway.decideApproval('ap_1', decision('denied', 'agent:ag_2', 20))).toBe(false);
    expect(await store.gateway.decideApproval('ap_missing', decision('denied', 'admin'))).toBe(false);
    expect(await store.gateway.getApproval('ap_1')).toEqual(
      approval('ap_1', {
        status: 'approved',
        decidedBy: 'admin',
        decidedAt: at(10),
        reason: 'approved by admin',
      }),
    );
  });

  it('lists newest first, filtered by status, kind and project, up to the limit', async () => {
    const { store } = await open();
    await store.gateway.addApproval(approval('ap_1'));
    await store.gateway.addApproval(approval('ap_2', { project: 'beta' }));
    await store.gateway.addApproval(
      approval('ap_3', {
        kind: 'permission',
        permission: { requestId: 'qwert', description: 'd', inputPreview: '{}' },
      }),
    );
    await store.gateway.addApproval(approval('ap_4'));
    await store.gateway.decideApproval('ap_4', decision('timed_out', 'hub'));
    const ids = async (f: Parameters<typeof store.gateway.listApprovals>[0]) =>
      (await store.gateway.listApprovals(f)).map((a) => a.id);
    expect(await ids({ limit: 10 })).toEqual(['ap_4', 'ap_3', 'ap_2', 'ap_1']);
    expect(await ids({ limit: 2 })).toEqual(['ap_4', 'ap_3']);
    expect(await ids({ status: 'pending', limit: 10 })).toEqual(['ap_3', 'ap_2', 'ap_1']);
    expect(await ids({ kind: 'permission', limit: 10 })).toEqual(['ap_3']);
    expect(await ids({ project: 'alpha', status: 'pending', limit: 10 })).toEqual(['ap_3', 'ap_1']);
    expect(await ids({ project: 'gamma', limit: 10 })).toEqual([]);
    // A call whose holding node stopped ends as failed; its node stays on the record.
    expect(await store.gateway.decideApproval('ap_2', decision('failed', 'system'))).toBe(true);
    expect(await ids({ status: 'failed', limit: 10 })).toEqual(['ap_2']);
    expect(await store.gateway.getApproval('ap_2')).toMatchObject({
      status: 'failed',
      nodeId: 'node_01HOLDER',
    });
  });

  it('grants, renews, lists and revokes who may decide a project’s approvals', async () => {
    const { store } = await open();
    await store.gateway.putGrant({ agentId: 'ag_b', grantedBy: 'admin', grantedAt: at(1) });
    await store.gateway.putGrant({ agentId: 'ag_a', grantedBy: 'admin', grantedAt: at(2) });
    await store.gateway.putGrant({ agentId: 'ag_b', grantedBy: 'root', grantedAt: at(3) });
    expect(await store.gateway.getGrant('ag_b')).toEqual({
      agentId: 'ag_b',
      grantedBy: 'root',
      grantedAt: at(3),
    });
    expect(await store.gateway.getGrant('ag_z')).toBeUndefined();
    expect(await store.gateway.listGrants()).toEqual([
      { agentId: 'ag_a', grantedBy: 'admin', grantedAt: at(2) },
      { agentId: 'ag_b', grantedBy: 'root', grantedAt: at(3) },
    ]);
    expect(await store.gateway.removeGrant('ag_a')).toBe(true);
    expect(await store.gateway.removeGrant('ag_a')).toBe(false);
    expect((await store.gateway.listGrants()).map((g) => g.agentId)).toEqual(['ag_b']);
  });

  it('lets exactly one of many deciders spread over three nodes win an approval', async () => {
    const { store, peer } = await open();
    const nodes = [store, await peer(), await peer()];
    for (let round = 0; round < 5; round++) {
      const id = `ap_race_${round}`;
      await store.gateway.addApproval(approval(id));
      const deciders = Array.from({ length: 30 }, (_, i) => ({
        node: nodes[i % 3],
        d: decision(i % 2 ? 'approved' : 'denied', `decider-${i}`, i),
      }));
      const results = await Promise.all(deciders.map(({ node, d }) => node.gateway.decideApproval(id, d)));
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = deciders[results.indexOf(true)].d;
      // Every node reads the winner's decision, whole (no field from a loser).
      for (const node of nodes) {
        expect(await node.gateway.getApproval(id)).toEqual(approval(id, winner));
      }
    }
  });
});
