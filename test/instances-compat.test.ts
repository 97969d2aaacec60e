/** REST compatibility with the seed orchestrator: /instances, /instances/:id, /tools, /tools/execute. */
import { expect, it } from 'vitest';
import { instancesHubForFile } from './helpers/instances.js';

const { t, boss, pids } = instancesHubForFile({ stopGraceSeconds: 0.5 });

it('lists the orchestration tools and runs them through /tools/execute; /instances mirrors /api/v1/instances', async () => {
  const tools = await t.api('GET', '/tools');
  const names = tools.body.tools.map((x: { name: string }) => x.name);
  for (const n of ['spawn_instance', 'send_to_instance', 'coordinate_instances', 'terminate_instance'])
    expect(names).toContain(n);
  expect(tools.body.tools[0].inputSchema.type).toBe('object');

  const spawned = await t.api('POST', '/tools/execute', {
    token: boss.token,
    body: {
      tool: 'spawn_instance',
      arguments: { adapter: 'scripted', script: { default: { reply: 'pong' } } },
    },
  });
  expect(spawned.status).toBe(200);
  expect(spawned.body).toMatchObject({ success: true, tool: 'spawn_instance' });
  const id = spawned.body.result.instance_id;
  pids.push(spawned.body.result.pid);

  const sent = await t.api('POST', '/tools/execute', {
    token: boss.token,
    body: { tool: 'send_to_instance', arguments: { instance_id: id, message: 'ping' } },
  });
  expect(sent.body.result).toMatchObject({ status: 'completed', text: 'pong' });

  const list = await t.api('GET', '/instances', { token: boss.token });
  expect(list.body.instances.map((i: { instance_id: string }) => i.instance_id)).toContain(id);
  const one = await t.api('GET', `/instances/${id}`, { token: boss.token });
  expect(one.body).toMatchObject({ instance_id: id, status: 'idle' });
  const v1 = await t.api('GET', `/api/v1/instances/${id}`, { token: boss.token });
  expect(v1.body.instance_id).toBe(id);

  // Same auth and errors as everywhere else.
  expect((await t.api('GET', '/instances')).status).toBe(401);
  const unknown = await t.api('POST', '/tools/execute', {
    token: boss.token,
    body: { tool: 'nope', arguments: {} },
  });
  expect(unknown.status).toBe(404);
  const bad = await t.api('POST', '/tools/execute', {
    token: boss.token,
    body: { tool: 'send_to_instance', arguments: { instance_id: id } },
  });
  expect(bad.status).toBe(400);
  const done = await t.api('POST', '/tools/execute', {
    token: boss.token,
    body: { tool: 'terminate_instance', arguments: { instance_id: id } },
  });
  expect(done.body.result.terminated[0].status).toBe('stopped');
});
