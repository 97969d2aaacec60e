/** spawn_team, interrupt_instance and list_roles with real scripted instances. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { instancesHubForFile, spawnScripted } from './helpers/instances.js';

const { t, boss, pids } = instancesHubForFile({ stopGraceSeconds: 0.5, maxConcurrent: 10 });

it('interrupt_instance stops a hanging turn; the instance takes the next turn', async () => {
  const inst = await spawnScripted(t, boss.token, { turns: [{ hang: true }, { reply: 'back' }] });
  pids.push(inst.pid);
  const first = t.api('POST', `/api/v1/instances/${inst.instance_id}/send`, {
    token: boss.token,
    body: { message: 'think forever', timeout_seconds: 30 },
  });
  // Interrupt once the turn is running.
  for (;;) {
    const s = await t.api('GET', `/api/v1/instances/${inst.instance_id}`, { token: boss.token });
    if (s.body.busy) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const intr = await t.api('POST', `/api/v1/instances/${inst.instance_id}/interrupt`, { token: boss.token });
  expect(intr.status).toBe(200);
  expect(intr.body).toMatchObject({ interrupted: true, method: 'stdin_control_request' });
  const r1 = await first;
  expect(r1.body.status).toBe('failed');
  expect(r1.body.failure).toContain('error_during_execution');
  const r2 = await t.api('POST', `/api/v1/instances/${inst.instance_id}/send`, {
    token: boss.token,
    body: { message: 'again' },
  });
  expect(r2.body).toMatchObject({ status: 'completed', text: 'back' });
  const s = await t.api('GET', `/api/v1/instances/${inst.instance_id}`, { token: boss.token });
  expect(s.body.status).toBe('idle');
  expect(s.body.pid).toBe(inst.pid);
});

it('list_roles lists the ten shipped roles and a custom one from the data directory', async () => {
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(t.home, 'roles'), { recursive: true });
  writeFileSync(join(t.home, 'roles', 'dba.md'), '# Database administrator\nYou tune queries.\n');
  const res = await t.api('GET', '/api/v1/roles');
  expect(res.status).toBe(200);
  const names = res.body.roles.map((r: { name: string }) => r.name);
  for (const r of [
    'general',
    'architect',
    'frontend_developer',
    'backend_developer',
    'testing_specialist',
    'documentation_writer',
    'code_reviewer',
    'debugger',
    'security_analyst',
    'data_analyst',
  ])
    expect(names).toContain(r);
  expect(res.body.roles.find((r: { name: string }) => r.name === 'dba')).toMatchObject({
    source: 'custom',
    summary: 'Database administrator',
  });
});

it('spawn_team spawns each role inline, gives all the task, and a template file works for the admin', async () => {
  const script = { default: { reply: { template: 'on it: {{input}}' } } };
  const res = await t.api('POST', '/api/v1/teams', {
    token: boss.token,
    body: {
      task: 'build the login page',
      members: [
        { role: 'architect', name: 'arch', adapter: 'scripted', script },
        { role: 'frontend_developer', name: 'front', adapter: 'scripted', script },
        { role: 'backend_developer', name: 'back', adapter: 'scripted', script, task: 'build the login API' },
      ],
    },
  });
  expect(res.status).toBe(201);
  for (const v of res.body.instances) pids.push(v.pid);
  expect(res.body.instances.map((v: { role: string; name: string }) => [v.role, v.name])).toEqual([
    ['architect', 'arch'],
    ['frontend_developer', 'front'],
    ['backend_developer', 'back'],
  ]);
  const texts = await Promise.all(
    res.body.instances.map(async (v: { instance_id: string }) => {
      for (;;) {
        const out = await t.api('GET', `/api/v1/instances/${v.instance_id}/output`, { token: boss.token });
        if (out.body.events.some((e: { kind: string }) => e.kind === 'result')) return out.body.text;
        await new Promise((r) => setTimeout(r, 30));
      }
    }),
  );
  expect(texts).toEqual([
    'on it: build the login page',
    'on it: build the login page',
    'on it: build the login API',
  ]);

  const dir = mkdtempSync(join(tmpdir(), 'switchboard-team-'));
  const file = join(dir, 'team.json');
  writeFileSync(file, JSON.stringify({ members: [{ role: 'debugger', adapter: 'scripted', script }] }));
  const denied = await t.api('POST', '/api/v1/teams', { token: boss.token, body: { template_file: file } });
  expect(denied.status).toBe(403);
  const ok = await t.api('POST', '/api/v1/teams', { token: t.adminToken, body: { template_file: file } });
  expect(ok.status).toBe(201);
  pids.push(ok.body.instances[0].pid);
  expect(ok.body.instances[0].role).toBe('debugger');

  // A member that cannot spawn: nothing of the team is left running.
  const bad = await t.api('POST', '/api/v1/teams', {
    token: boss.token,
    body: {
      members: [
        { role: 'general', name: 'first', adapter: 'scripted', script },
        { role: 'no_such_role', adapter: 'scripted', script },
      ],
    },
  });
  expect(bad.status).toBe(400);
  const list = await t.api('GET', '/api/v1/instances', { token: boss.token });
  const first = list.body.instances.find((v: { name: string }) => v.name === 'first');
  expect(first.status).toBe('stopped');
});
