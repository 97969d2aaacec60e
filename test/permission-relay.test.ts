/**
 * Permission relay: `node bin/switchboard.js mcp --permission-relay` as a real child over stdio,
 * driven by the official SDK client in Claude Code's place — it sends
 * `notifications/claude/channel/permission_request` and records the
 * `notifications/claude/channel/permission` answers. Each prompt becomes an approval on a real hub;
 * the admin (REST, CLI) or an agent granted approvals for the project decides it and the session gets
 * allow or deny; expiry and a closed session leave the session's own dialog to decide. Needs the build.
 */
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AgentClient } from '../src/client/index.js';
import { runCli } from './helpers/cli.js';
import { startTestHub, type TestHub } from './helpers/hub.js';
import { testStoreIsPostgres } from './helpers/postgres.js';

const BIN = join(import.meta.dirname, '..', 'bin', 'switchboard.js');
const REQUEST = 'notifications/claude/channel/permission_request';
const ANSWER = 'notifications/claude/channel/permission';

interface Session {
  client: Client;
  answers: Array<{ request_id: string; behavior: string }>;
  /** Resolves with the answer to this request id. */
  answerTo(requestId: string): Promise<{ request_id: string; behavior: string }>;
  prompt(requestId: string, toolName?: string, extra?: Record<string, string>): Promise<void>;
}

let t: TestHub;
let quick: TestHub;
const clients: Client[] = [];

beforeAll(async () => {
  t = await startTestHub({ gateway: { approvals: { permissionTimeoutSeconds: 600 } } });
  quick = await startTestHub({ gateway: { approvals: { permissionTimeoutSeconds: 2 } } });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
  await t?.close();
  await quick?.close();
});

async function session(hub: TestHub, token: string, args = ['--permission-relay']): Promise<Session> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'mcp', ...args],
    env: {
      PATH: process.env.PATH ?? '',
      LOG_LEVEL: 'silent',
      SWITCHBOARD_URL: hub.url,
      SWITCHBOARD_HOME: hub.home,
      SWITCHBOARD_TOKEN: token,
    },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'claude-code-stand-in', version: '1.0.0' });
  const answers: Session['answers'] = [];
  const waiting = new Map<string, (a: Session['answers'][number]) => void>();
  client.setNotificationHandler(
    ANSWER,
    { params: z.object({ request_id: z.string(), behavior: z.string() }) },
    (params) => {
      answers.push(params);
      waiting.get(params.request_id)?.(params);
    },
  );
  await client.connect(transport);
  clients.push(client);
  return {
    client,
    answers,
    answerTo: (id) =>
      new Promise((resolve) => {
        const have = answers.find((a) => a.request_id === id);
        if (have) resolve(have);
        else waiting.set(id, resolve);
      }),
    prompt: (request_id, tool_name = 'Bash', extra = {}) =>
      client.notification({
        method: REQUEST,
        params: {
          request_id,
          tool_name,
          description: `run a command for ${request_id}`,
          input_preview: JSON.stringify({ command: `echo ${request_id}` }),
          ...extra,
        },
      }),
  };
}

async function listed(hub: TestHub, token: string, query = '') {
  const res = await hub.api('GET', `/api/v1/gateway/approvals?limit=1000${query}`, { token });
  return res;
}

async function approvalFor(hub: TestHub, requestId: string, status = 'pending') {
  let found: any;
  await expect
    .poll(
      async () => {
        const res = await listed(hub, hub.adminToken, '&kind=permission');
        found = res.body.approvals.find((a: any) => a.request_id === requestId && a.status === status);
        return found !== undefined;
      },
      { timeout: 15_000, interval: 50 },
    )
    .toBe(true);
  return found;
}

function cli(hub: TestHub, args: string[]) {
  return runCli(args, {
    SWITCHBOARD_URL: hub.url,
    SWITCHBOARD_ADMIN_TOKEN: hub.adminToken,
    HOME: hub.home,
    SWITCHBOARD_HOME: hub.home,
  });
}

describe('switchboard mcp --permission-relay', () => {
  let agent: { id: string; token: string };
  let s: Session;

  beforeAll(async () => {
    agent = await t.register('relay-session', { project: 'alpha' });
    s = await session(t, agent.token);
  });

  it('declares the channel and permission capabilities', () => {
    expect(s.client.getServerCapabilities()?.experimental).toMatchObject({
      'claude/channel': {},
      'claude/channel/permission': {},
    });
  });

  it('a prompt is on the queue (REST and CLI); approve_call by the admin → the session gets allow', async () => {
    await s.prompt('abcde', 'Bash');
    const a = await approvalFor(t, 'abcde');
    expect(a).toMatchObject({
      kind: 'permission',
      agent_id: agent.id,
      project: 'alpha',
      tool: 'Bash',
      description: 'run a command for abcde',
      input_preview: '{"command":"echo abcde"}',
      requested_by: `agent:${agent.id}`,
      status: 'pending',
    });
    expect(Date.parse(a.expires_at) - Date.parse(a.requested_at)).toBe(600_000);

    const run = await cli(t, [
      'list_approvals',
      '--admin',
      '--kind',
      'permission',
      '--status',
      'pending',
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).approvals.map((x: any) => x.id)).toContain(a.id);

    const res = await t.api('POST', `/api/v1/gateway/approvals/${a.id}/approve`, {
      token: t.adminToken,
      body: { reason: 'go ahead' },
    });
    expect(res.status).toBe(200);
    expect(await s.answerTo('abcde')).toEqual({ request_id: 'abcde', behavior: 'allow' });
    expect((await approvalFor(t, 'abcde', 'approved')).decided_by).toBe('admin');

    const again = await t.api('POST', `/api/v1/gateway/approvals/${a.id}/deny`, { token: t.adminToken });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toMatch(/decided already \(approved by admin/);
  });

  it('deny_call from the CLI → the session gets deny', async () => {
    await s.prompt('fghij', 'Write');
    const a = await approvalFor(t, 'fghij');
    const run = await cli(t, ['deny_call', '--admin', '--id', a.id, '--reason', 'not that file', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(await s.answerTo('fghij')).toEqual({ request_id: 'fghij', behavior: 'deny' });
    expect(await approvalFor(t, 'fghij', 'denied')).toMatchObject({
      reason: 'not that file',
      decided_by: 'admin',
    });
  });

  it('a granted agent of the same project decides; others are forbidden or see nothing; nobody decides its own', async () => {
    const lead = await t.register('lead', { project: 'alpha' });
    const outsider = await t.register('outsider', { project: 'beta' });
    const plain = await t.register('plain', { project: 'alpha' });
    for (const who of [lead, outsider, agent]) {
      const g = await t.api('POST', '/api/v1/gateway/approval-grants', {
        token: t.adminToken,
        body: { agent_id: who.id },
      });
      expect(g.status).toBe(200);
    }
    const grants = await t.api('GET', '/api/v1/gateway/approval-grants', { token: t.adminToken });
    expect(grants.body.grants).toContainEqual(
      expect.objectContaining({ agent_id: lead.id, project: 'alpha', granted_by: 'admin' }),
    );

    await s.prompt('klmno', 'Edit');
    const a = await approvalFor(t, 'klmno');

    const refused = await listed(t, plain.token);
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toMatch(
      /approvals grant: the admin runs `switchboard grant_approvals --agent-id /,
    );
    const plainDecides = await t.api('POST', `/api/v1/gateway/approvals/${a.id}/approve`, {
      token: plain.token,
    });
    expect(plainDecides.status).toBe(403);

    const outsiderSees = await listed(t, outsider.token);
    expect(outsiderSees.status).toBe(200);
    expect(outsiderSees.body.approvals).toEqual([]);
    const outsiderDecides = await t.api('POST', `/api/v1/gateway/approvals/${a.id}/approve`, {
      token: outsider.token,
    });
    expect(outsiderDecides.status).toBe(404);

    const own = await t.api('POST', `/api/v1/gateway/approvals/${a.id}/approve`, { token: agent.token });
    expect(own.status).toBe(403);
    expect(own.body.error.message).toMatch(/your own request/);

    const leadSees = await listed(t, lead.token, '&status=pending');
    expect(leadSees.body.approvals.map((x: any) => x.id)).toEqual([a.id]);
    const decided = await t.api('POST', `/api/v1/gateway/approvals/${a.id}/approve`, { token: lead.token });
    expect(decided.status).toBe(200);
    expect(decided.body.approval.decided_by).toBe(`agent:${lead.id}`);
    expect(await s.answerTo('klmno')).toEqual({ request_id: 'klmno', behavior: 'allow' });

    const revoked = await t.api('DELETE', `/api/v1/gateway/approval-grants/${lead.id}`, {
      token: t.adminToken,
    });
    expect(revoked.body).toEqual({ revoked: lead.id });
    expect((await listed(t, lead.token)).status).toBe(403);
    const twice = await t.api('DELETE', `/api/v1/gateway/approval-grants/${lead.id}`, {
      token: t.adminToken,
    });
    expect(twice.status).toBe(404);
  });

  it('granted agents of the project hear each prompt live on their own channel; others do not', async () => {
    const watcher = await t.register('watcher', { project: 'alpha' });
    const far = await t.register('far', { project: 'beta' });
    for (const who of [watcher, far]) {
      const g = await t.api('POST', '/api/v1/gateway/approval-grants', {
        token: t.adminToken,
        body: { agent_id: who.id },
      });
      expect(g.status).toBe(200);
    }
    const heard = new Map<string, Array<{ kind: string; status: string; tool: string }>>();
    const clients = [watcher, far].map((who) => {
      heard.set(who.id, []);
      return new AgentClient({
        url: t.url,
        token: who.token,
        agentId: who.id,
        onEvent: (f) => {
          if (f.type === 'gateway.approval') heard.get(who.id)!.push(f as never);
        },
      });
    });
    const listening = await Promise.all(clients.map((c) => c.listen(() => {}, { from: 'now' })));
    try {
      await s.prompt('pqrst', 'Bash');
      const a = await approvalFor(t, 'pqrst');
      await expect
        .poll(() => heard.get(watcher.id)!.map((e) => [e.kind, e.status, e.tool]), { timeout: 10_000 })
        .toEqual([['permission', 'pending', 'Bash']]);
      await t.api('POST', `/api/v1/gateway/approvals/${a.id}/deny`, { token: t.adminToken });
      expect(await s.answerTo('pqrst')).toEqual({ request_id: 'pqrst', behavior: 'deny' });
      await expect
        .poll(() => heard.get(watcher.id)!.map((e) => e.status), { timeout: 10_000 })
        .toEqual(['pending', 'denied']);
      expect(heard.get(far.id)).toEqual([]);
    } finally {
      await Promise.all(listening.map((l) => l.stop()));
      for (const who of [watcher, far])
        await t.api('DELETE', `/api/v1/gateway/approval-grants/${who.id}`, { token: t.adminToken });
    }
  });

  it('only the requester (or the admin) waits on or closes its prompt', async () => {
    const other = await t.register('other-alpha', { project: 'alpha' });
    const opened = await t.api('POST', '/api/v1/gateway/permissions', {
      token: agent.token,
      body: { request_id: 'waitx', tool_name: 'Bash', description: '', input_preview: '{}' },
    });
    expect(opened.status).toBe(201);
    const id = opened.body.approval.id;
    const otherWaits = await t.api('POST', `/api/v1/gateway/approvals/${id}/wait`, {
      token: other.token,
      body: { timeout_seconds: 0 },
    });
    expect(otherWaits.status).toBe(404);
    const waits = await t.api('POST', `/api/v1/gateway/approvals/${id}/wait`, {
      token: agent.token,
      body: { timeout_seconds: 0 },
    });
    expect(waits.body.approval.status).toBe('pending');
    const closed = await t.api('POST', `/api/v1/gateway/approvals/${id}/close`, {
      token: agent.token,
      body: { reason: 'answered locally' },
    });
    expect(closed.body.approval).toMatchObject({
      status: 'cancelled',
      decided_by: `agent:${agent.id}`,
      reason: 'answered locally',
    });
  });

  it('hostile fields: clear errors naming the limit, nothing stored; tokens in a prompt are masked', async () => {
    const before = (await listed(t, t.adminToken)).body.approvals.length;
    const base = { request_id: 'abcde', tool_name: 'Bash', description: 'd', input_preview: '{}' };
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ request_id: 'ABCDE' }, /request_id: 1-32 lower-case letters or digits/],
      [{ request_id: 'a'.repeat(33) }, /request_id: 1-32/],
      [{ request_id: '../x' }, /request_id: 1-32/],
      [{ tool_name: '' }, /tool_name: at least 1/],
      [{ tool_name: 'x'.repeat(201) }, /tool_name: at most 200 characters/],
      [{ description: 'x'.repeat(2001) }, /description: at most 2000 characters/],
      [{ input_preview: 'x'.repeat(4001) }, /input_preview: at most 4000 characters/],
      [{ description: 'bell\u0007' }, /description: no control characters/],
      [{ input_preview: 42 }, /input_preview/],
      [{ extra: 1 }, /extra/],
    ];
    for (const [change, message] of cases) {
      const res = await t.api('POST', '/api/v1/gateway/permissions', {
        token: agent.token,
        body: { ...base, ...change },
      });
      expect(res.status, JSON.stringify(change)).toBe(400);
      expect(res.body.error.message).toMatch(message);
    }
    expect((await listed(t, t.adminToken)).body.approvals.length).toBe(before);

    // Through the bridge: terminal escapes become spaces and a long preview is cut, not refused.
    await s.prompt('tokns', 'Bash', {
      description: 'colour \u001b[31mred',
      input_preview: `{"command":"curl -H 'Authorization: Bearer ${agent.token}' ${'y'.repeat(5000)}"}`,
    });
    const a = await approvalFor(t, 'tokns');
    expect(a.input_preview).not.toContain(agent.token);
    expect(a.input_preview).toContain('sb_[redacted]');
    expect(a.input_preview.length).toBeLessThanOrEqual(4000);
    expect(a.input_preview.endsWith('…')).toBe(true);
    expect(a.description).toBe('colour  [31mred');
    await t.api('POST', `/api/v1/gateway/approvals/${a.id}/deny`, { token: t.adminToken });
    await s.answerTo('tokns');
  });

  it('gateway approvals keep their shape: kind gateway_call, the kind filter', async () => {
    const res = await listed(t, t.adminToken, '&kind=gateway_call');
    expect(res.status).toBe(200);
    expect(res.body.approvals.every((x: any) => x.kind === 'gateway_call')).toBe(true);
  });
});

describe('prompts the hub does not decide', () => {
  it('expiry: timed_out on the hub and nothing sent; the next prompt is still answered', async () => {
    const agent = await quick.register('quick-session', { project: 'alpha' });
    const s = await session(quick, agent.token);
    await s.prompt('slowa');
    const a = await approvalFor(quick, 'slowa', 'timed_out');
    expect(a).toMatchObject({ decided_by: 'system', reason: 'no decision before it expired' });

    // A prompt decided within the second: its answer is the only one the session ever got.
    await s.prompt('fastb');
    const b = await approvalFor(quick, 'fastb');
    await quick.api('POST', `/api/v1/gateway/approvals/${b.id}/approve`, { token: quick.adminToken });
    await s.answerTo('fastb');
    expect(s.answers).toEqual([{ request_id: 'fastb', behavior: 'allow' }]);
  });

  it('the session ends (stdin closes): its pending prompts are cancelled on the hub', async () => {
    const agent = await t.register('ending-session', { project: 'alpha' });
    const s = await session(t, agent.token);
    await s.prompt('endme');
    await approvalFor(t, 'endme');
    await s.client.close();
    const a = await approvalFor(t, 'endme', 'cancelled');
    expect(a).toMatchObject({ decided_by: `agent:${agent.id}`, reason: 'the Claude Code session ended' });
  });

  // One node alone (SQLite): a restart cancels what it had pending. On PostgreSQL the restarted hub is
  // one node of a cluster (others may be waiting on those prompts): a prompt ends at its expiry, timed
  // out by the cluster's sweep since its node is gone.
  it('a hub restart cancels the prompts it had pending (a cluster times them out at their expiry)', async () => {
    const cluster = testStoreIsPostgres();
    const first = await startTestHub(
      cluster ? { gateway: { approvals: { permissionTimeoutSeconds: 1 } } } : {},
    );
    const agent = await first.register('restarting', { project: 'alpha' });
    const opened = await first.api('POST', '/api/v1/gateway/permissions', {
      token: agent.token,
      body: { request_id: 'rstrt', tool_name: 'Bash', description: '', input_preview: '{}' },
    });
    expect(opened.status).toBe(201);
    await first.hub.close();
    const again = await startTestHub({ home: first.home });
    try {
      await expect
        .poll(
          async () => {
            const res = await listed(again, again.adminToken, '&kind=permission');
            return res.body.approvals[0];
          },
          { timeout: 15_000, interval: 100 },
        )
        .toMatchObject({
          id: opened.body.approval.id,
          status: cluster ? 'timed_out' : 'cancelled',
          decided_by: 'system',
        });
    } finally {
      await again.close();
    }
  });

  it('connect claude-code --permission-relay prints a stdio bridge entry with the flag', async () => {
    const run = await cli(t, [
      'connect',
      'claude-code',
      '--name',
      'relay-connect',
      '--permission-relay',
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.transport).toBe('stdio');
    expect(JSON.stringify(out.config)).toContain('"mcp","--permission-relay"');
  });

  it('without --permission-relay the bridge declares no permission capability', async () => {
    const agent = await t.register('plain-session');
    const s = await session(t, agent.token, []);
    expect(s.client.getServerCapabilities()?.experimental?.['claude/channel/permission']).toBeUndefined();
  });
});
