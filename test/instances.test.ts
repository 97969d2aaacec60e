/**
 * Instances end to end with real processes: the scripted agent (`switchboard agent --script`, from
 * dist/: run `npm run build` first) driven over REST exactly as Claude Code would be.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './helpers/hub.js';
import { groupAlive, killGroupQuietly, spawnScripted, until } from './helpers/instances.js';

let t: TestHub;
let boss: { id: string; token: string };
const pids: number[] = [];

async function spawn(script: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const view = await spawnScripted(t, boss.token, script, extra);
  if (view.pid) pids.push(view.pid);
  return view;
}

const send = (id: string, message: string, extra: Record<string, unknown> = {}) =>
  t.api('POST', `/api/v1/instances/${id}/send`, { token: boss.token, body: { message, ...extra } });
const status = async (id: string) =>
  (await t.api('GET', `/api/v1/instances/${id}`, { token: boss.token })).body;

beforeAll(async () => {
  t = await startTestHub({ instances: { stopGraceSeconds: 0.5, maxConcurrent: 6 } });
  boss = await t.register('boss');
});

afterAll(async () => {
  await t.close();
  for (const pid of pids) killGroupQuietly(pid);
});

describe('instances with the scripted agent', () => {
  it('spawns, answers a turn with usage and cost from its result event, and keeps its output by cursor', async () => {
    const inst = await spawn(
      {
        model: 'scripted-sonnet',
        turns: [
          {
            reply: { template: 'done: {{input}}' },
            usage: { input_tokens: 1200, output_tokens: 300 },
            cost_usd: 0.05,
          },
          { reply: 'second', usage: { input_tokens: 10, output_tokens: 5 }, cost_usd: 0.01 },
        ],
      },
      { role: 'backend_developer', name: 'api' },
    );
    expect(inst.status).toBe('idle');
    expect(inst.role).toBe('backend_developer');
    expect(inst.workspace).toContain(inst.instance_id);
    const r1 = await send(inst.instance_id, 'build the API');
    expect(r1.status).toBe(200);
    expect(r1.body).toMatchObject({ status: 'completed', text: 'done: build the API', failure: null });
    expect(r1.body.result.usage).toMatchObject({ input_tokens: 1200, output_tokens: 300 });
    expect(r1.body.result.total_cost_usd).toBe(0.05);
    const r2 = await send(inst.instance_id, 'again');
    expect(r2.body.text).toBe('second');

    const s = await status(inst.instance_id);
    expect(s.usage).toMatchObject({ tokens: 1515, cost_usd: 0.06, turns: 2 });
    expect(s.tree_usage).toMatchObject({ tokens: 1515, cost_usd: 0.06, instances: 1 });

    const out = await t.api('GET', `/api/v1/instances/${inst.instance_id}/output`, { token: boss.token });
    const kinds = out.body.events.map((e: { kind: string }) => e.kind);
    // spawn answered once the CLI was up: its init and the hub's ready event come before any turn.
    expect(kinds.slice(0, 2)).toEqual(['init', 'ready']);
    expect(kinds.slice(2)).toEqual(['user', 'text', 'result', 'user', 'text', 'result']);
    expect(out.body.text).toBe('done: build the API\nsecond');
    const firstResult = out.body.events.find((e: { kind: string }) => e.kind === 'result');
    const later = await t.api(
      'GET',
      `/api/v1/instances/${inst.instance_id}/output?since=${firstResult.cursor}`,
      { token: boss.token },
    );
    expect(later.body.text).toBe('second');

    // The instance is an agent of the hub.
    const agent = await t.api('GET', `/api/v1/agents/${inst.agent_id}`, { token: boss.token });
    expect(agent.body.agent_id ?? agent.body.agent?.agent_id).toBe(inst.agent_id);

    const term = await t.api('DELETE', `/api/v1/instances/${inst.instance_id}`, { token: boss.token });
    expect(term.body.terminated[0]).toMatchObject({ status: 'stopped' });
    expect(groupAlive(inst.pid)).toBe(false);
  });

  it('reports a crash and a non-zero exit as failures', async () => {
    const crash = await spawn({ turns: [{ crash: 3 }] });
    const r = await send(crash.instance_id, 'go');
    expect(r.body.status).toBe('failed');
    expect(r.body.failure).toContain('code 3');
    const s = await until('failed status', async () => {
      const v = await status(crash.instance_id);
      return v.status === 'failed' ? v : null;
    });
    expect(s).toMatchObject({ exit_code: 3 });
    expect(s.reason).toContain('code 3');

    const exits = await spawn({ turns: [{ reply: 'bye', exit: 2 }] });
    const r2 = await send(exits.instance_id, 'go');
    expect(r2.body.status).toBe('completed');
    const s2 = await until('failed status', async () => {
      const v = await status(exits.instance_id);
      return v.status === 'failed' ? v : null;
    });
    expect(s2.reason).toContain('code 2');
  });

  it('reports permission denials and error subtypes as failures, never success', async () => {
    const inst = await spawn({
      turns: [
        {
          reply: 'I could not run it',
          permission_denials: [{ tool_name: 'Bash', tool_input: { command: 'rm' } }],
        },
        { subtype: 'error_during_execution' },
      ],
    });
    const r = await send(inst.instance_id, 'run rm');
    expect(r.body.status).toBe('failed');
    expect(r.body.failure).toContain('permission denied for Bash');
    expect(r.body.result.permission_denials[0].tool_name).toBe('Bash');
    const r2 = await send(inst.instance_id, 'again');
    expect(r2.body).toMatchObject({
      status: 'failed',
      failure: 'the turn ended with error_during_execution',
    });
  });

  it('times out a hanging turn, and terminating it leaves no process', async () => {
    const inst = await spawn({ ignore_sigterm: true, turns: [{ hang: true }] });
    // Once init is out, the script has installed its SIGTERM handler: only SIGKILL can stop it.
    await until('init', async () => {
      const out = await t.api('GET', `/api/v1/instances/${inst.instance_id}/output`, { token: boss.token });
      return out.body.events.some((e: { kind: string }) => e.kind === 'init');
    });
    const r = await send(inst.instance_id, 'hang', { timeout_seconds: 0.3 });
    expect(r.body.status).toBe('timeout');
    expect((await status(inst.instance_id)).status).toBe('busy');
    const term = await t.api('DELETE', `/api/v1/instances/${inst.instance_id}`, { token: boss.token });
    expect(term.body.terminated[0].status).toBe('stopped');
    expect(groupAlive(inst.pid)).toBe(false);
    const s = await status(inst.instance_id);
    expect(s.exit_signal).toBe('SIGKILL');
  });

  it('stops an instance past its cost budget, with the reason recorded', async () => {
    const inst = await spawn({ default: { cost_usd: 0.4 } }, { limits: { max_cost_usd: 1 } });
    expect((await send(inst.instance_id, 'one')).body.status).toBe('completed');
    expect((await send(inst.instance_id, 'two')).body.status).toBe('completed');
    await send(inst.instance_id, 'three');
    const s = await until('stopped by budget', async () => {
      const v = await status(inst.instance_id);
      return v.status === 'stopped' ? v : null;
    });
    expect(s.reason).toContain('max_cost_usd exceeded');
    expect(s.usage.cost_usd).toBeCloseTo(1.2);
    expect(groupAlive(inst.pid)).toBe(false);
    const refused = await send(inst.instance_id, 'four');
    expect(refused.status).toBe(409);
  });

  it('terminates a parent and its children with no process left', async () => {
    const parent = await spawn({ ignore_sigterm: true, turns: [{ hang: true }] });
    await send(parent.instance_id, 'plan', { wait: false });
    const child = await spawn({ turns: [{ hang: true }] }, { parent_id: parent.instance_id });
    const grandchild = await spawn({}, { parent_id: child.instance_id });
    expect(child.root_id).toBe(parent.instance_id);
    expect(grandchild.root_id).toBe(parent.instance_id);
    await send(child.instance_id, 'work', { wait: false });
    const list = await t.api('GET', `/api/v1/instances?root_id=${parent.instance_id}`, { token: boss.token });
    expect(list.body.total).toBe(3);

    const term = await t.api('DELETE', `/api/v1/instances/${parent.instance_id}`, { token: boss.token });
    expect(term.body.terminated.map((x: { instance_id: string }) => x.instance_id).sort()).toEqual(
      [parent.instance_id, child.instance_id, grandchild.instance_id].sort(),
    );
    for (const i of [parent, child, grandchild]) {
      expect(groupAlive(i.pid)).toBe(false);
      expect((await status(i.instance_id)).status).toBe('stopped');
    }
    expect((await status(child.instance_id)).reason).toContain(`parent ${parent.instance_id}`);
  });

  it('refuses bad input with the field named, and spawning past the concurrency limit', async () => {
    const badRole = await t.api('POST', '/api/v1/instances', {
      token: boss.token,
      body: { adapter: 'scripted', script: {}, role: 'wizard' },
    });
    expect(badRole.status).toBe(400);
    expect(badRole.body.error?.message ?? JSON.stringify(badRole.body)).toContain('role');
    const noScript = await t.api('POST', '/api/v1/instances', {
      token: boss.token,
      body: { adapter: 'scripted' },
    });
    expect(noScript.status).toBe(400);
    expect(JSON.stringify(noScript.body)).toContain('script');
    const badLimit = await t.api('POST', '/api/v1/instances', {
      token: boss.token,
      body: { adapter: 'scripted', script: {}, limits: { max_cost_usd: -1 } },
    });
    expect(badLimit.status).toBe(400);
    expect(JSON.stringify(badLimit.body)).toContain('limits.max_cost_usd');
    const anon = await t.api('GET', '/api/v1/instances');
    expect(anon.status).toBe(401);

    const running = (await t.api('GET', '/api/v1/instances', { token: t.adminToken })).body.instances.filter(
      (i: { status: string }) => !['stopped', 'failed'].includes(i.status),
    ).length;
    const spawned = [];
    for (let i = running; i < 6; i++) spawned.push(await spawn({}));
    const over = await t.api('POST', '/api/v1/instances', {
      token: boss.token,
      body: { adapter: 'scripted', script: {} },
    });
    expect(over.status).toBe(409);
    expect(JSON.stringify(over.body)).toContain('maxConcurrent');
    for (const s of spawned)
      await t.api('DELETE', `/api/v1/instances/${s.instance_id}`, { token: boss.token });
  });
});

describe('who may choose what runs', () => {
  it('refuses an agent that names a program or a script file, and lets the admin', async () => {
    const t = await startTestHub();
    try {
      const a = await t.register('Chooser');
      const asAgent = await t.api('POST', '/api/v1/instances', {
        token: a.token,
        body: { adapter: 'command', command: ['/bin/sh', '-c', 'touch /tmp/pwned'] },
      });
      expect(asAgent.status).toBe(403);
      expect(asAgent.body.error.message).toMatch(/only the admin may choose the program/);
      const file = await t.api('POST', '/api/v1/instances', {
        token: a.token,
        body: { adapter: 'scripted', script_file: '/etc/passwd' },
      });
      expect(file.status).toBe(403);
      expect((await t.api('GET', '/api/v1/instances', { token: t.adminToken })).body.instances).toEqual([]);
      const asAdmin = await t.api('POST', '/api/v1/instances', {
        token: t.adminToken,
        body: { adapter: 'command', command: [process.execPath, '-e', 'setTimeout(() => {}, 60000)'] },
      });
      expect(asAdmin.status).toBe(201);
      await t.api('POST', `/api/v1/ops/terminate_instance`, {
        token: t.adminToken,
        body: { instance_id: asAdmin.body.instance_id },
      });
    } finally {
      await t.close();
    }
  });
});

describe('worktree workspaces for agents', () => {
  it('lets an agent use a repository under instances.agentRepoRoots and refuses one elsewhere', async () => {
    const { mkdtempSync, mkdirSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { execFileSync } = await import('node:child_process');
    const root = mkdtempSync(join(tmpdir(), 'sb-roots-'));
    const makeRepo = (dir: string) => {
      mkdirSync(dir, { recursive: true });
      const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
      git('init', '-q', '-b', 'main');
      writeFileSync(join(dir, 'README.md'), 'hello\n');
      git('add', '.');
      git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'init');
      return dir;
    };
    const inside = makeRepo(join(root, 'allowed', 'repo'));
    const outside = makeRepo(join(root, 'elsewhere'));
    const t = await startTestHub({ instances: { agentRepoRoots: [join(root, 'allowed')] } });
    try {
      const a = await t.register('Dev');
      const ok = await t.api('POST', '/api/v1/instances', {
        token: a.token,
        body: { adapter: 'scripted', script: {}, workspace: { repo: inside } },
      });
      expect(ok.status).toBe(201);
      const refused = await t.api('POST', '/api/v1/instances', {
        token: a.token,
        body: { adapter: 'scripted', script: {}, workspace: { repo: outside } },
      });
      expect(refused.status).toBe(403);
      expect(refused.body.error.message).toMatch(/agentRepoRoots/);
      await t.api('POST', '/api/v1/ops/terminate_instance', {
        token: a.token,
        body: { instance_id: ok.body.instance_id },
      });
    } finally {
      await t.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
