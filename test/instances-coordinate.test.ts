/**
 * coordinate_instances with real scripted instances: parallel collects every result, sequential feeds
 * each answer into the next prompt, consensus decides by a hub vote while the instances message each
 * other through the hub.
 */
import { expect, it } from 'vitest';
import { instancesHubForFile, spawnScripted } from './helpers/instances.js';

async function spawn(script: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const v = await spawnScripted(t, boss.token, script, extra);
  pids.push(v.pid);
  return v;
}
const coordinate = (body: Record<string, unknown>) =>
  t.api('POST', '/api/v1/instances/coordinate', {
    token: boss.token,
    body: { timeout_seconds: 30, ...body },
  });

const { t, boss, pids } = instancesHubForFile({ stopGraceSeconds: 0.5, maxConcurrent: 10 });

it('parallel sends the task to every instance and collects each result, failures included', async () => {
  const a = await spawn({ default: { reply: { template: 'A: {{input}}' } } });
  const b = await spawn({ default: { reply: { template: 'B: {{input}}' } } });
  const c = await spawn({ default: { reply: 'refused', permission_denials: [{ tool_name: 'Bash' }] } });
  const res = await coordinate({
    instance_ids: [a.instance_id, b.instance_id, c.instance_id],
    task: 'review',
    mode: 'parallel',
  });
  expect(res.status).toBe(200);
  expect(res.body.status).toBe('failed');
  expect(res.body.results.map((r: { status: string }) => r.status)).toEqual([
    'completed',
    'completed',
    'failed',
  ]);
  expect(res.body.results[0].text).toBe('A: review');
  expect(res.body.results[1].text).toBe('B: review');
  expect(res.body.results[2].failure).toContain('permission denied for Bash');
});

it('sequential passes each answer into the next prompt', async () => {
  const a = await spawn(
    { default: { reply: 'schema: users(id, name)' } },
    { name: 'architect-1', role: 'architect' },
  );
  const b = await spawn(
    { default: { reply: { template: 'implemented <{{input}}>' } } },
    { name: 'backend-1' },
  );
  const res = await coordinate({
    instance_ids: [a.instance_id, b.instance_id],
    task: 'design then build',
    mode: 'sequential',
  });
  expect(res.body.status).toBe('completed');
  expect(res.body.results[0].text).toBe('schema: users(id, name)');
  expect(res.body.final_text).toContain('design then build');
  expect(res.body.final_text).toContain('The previous step (architect-1) answered:\nschema: users(id, name)');
});

it('three scripted instances reach consensus by a hub vote and message each other through the hub', async () => {
  const caster = (who: string, option: string) => ({
    default: {
      tool_calls: [
        {
          tool: 'send_message',
          arguments: { to: 'capability:council', body: `${who} argues for ${option}` },
        },
        { tool: 'cast_vote', arguments: { vote_id: '{{input_field.vote_id}}', option } },
      ],
      reply: `${option}, says ${who}`,
    },
  });
  // A and B split, so only C's vote can decide (a majority of three needs two): the outcome does not
  // depend on who answers first.
  const a = await spawn(caster('A', 'postgres'), { capabilities: ['council'] });
  const b = await spawn(caster('B', 'sqlite'), { capabilities: ['council'] });
  // C does not call cast_vote: the hub casts the option its answer names.
  const c = await spawn(
    {
      default: {
        tool_calls: [
          { tool: 'send_message', arguments: { to: 'capability:council', body: 'C argues for postgres' } },
        ],
        reply: 'postgres, it scales',
      },
    },
    { capabilities: ['council'] },
  );
  const res = await coordinate({
    instance_ids: [a.instance_id, b.instance_id, c.instance_id],
    task: 'Which database?',
    mode: 'consensus',
    options: ['postgres', 'sqlite'],
  });
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ mode: 'consensus', status: 'completed', decision: 'postgres' });
  expect(res.body.vote).toMatchObject({ status: 'decided', result: 'postgres' });
  const byId = Object.fromEntries(res.body.results.map((r: any) => [r.instance_id, r]));
  expect(byId[a.instance_id]).toMatchObject({
    status: 'completed',
    position: 'postgres',
    cast_by_hub: false,
  });
  expect(byId[b.instance_id]).toMatchObject({ status: 'completed', position: 'sqlite', cast_by_hub: false });
  expect(byId[c.instance_id]).toMatchObject({ status: 'completed', position: 'postgres', cast_by_hub: true });
  expect(res.body.vote.votes.find((v: any) => v.agent_id === c.agent_id).option).toBe('postgres');

  // Their own cast_vote calls show in their output.
  const out = await t.api('GET', `/api/v1/instances/${a.instance_id}/output`, { token: boss.token });
  const uses = out.body.events
    .filter((e: { kind: string }) => e.kind === 'tool_use')
    .map((e: { name: string }) => e.name);
  expect(uses).toContain('mcp__switchboard__cast_vote');

  // Each heard the other two through the hub.
  for (const [me, others] of [
    [c, ['A argues for postgres', 'B argues for sqlite']],
    [a, ['B argues for sqlite', 'C argues for postgres']],
  ] as const) {
    const inbox = await t.api('GET', `/api/v1/messages?agent_id=${me.agent_id}&limit=50`, {
      token: t.adminToken,
    });
    const bodies = inbox.body.messages.map((m: { body: unknown }) => m.body);
    for (const o of others) expect(bodies).toContain(o);
  }
});

it('consensus without options is refused before anything is sent', async () => {
  const a = await spawn({});
  const res = await coordinate({ instance_ids: [a.instance_id], task: 'x', mode: 'consensus' });
  expect(res.status).toBe(400);
  expect(res.body.error.message).toContain('options');
});
