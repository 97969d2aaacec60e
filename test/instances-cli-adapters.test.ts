/**
 * The codex and gemini adapters end to end through the hub: spawn_instance with a script runs the
 * CLI's scripted stand-in with the adapter's real arguments, one process per turn, continuing the
 * CLI's session; the hub parses the CLI's own events, counts tokens right, judges failures
 * truthfully, and the instances really use the hub's MCP tools.
 */
import { describe, expect, it } from 'vitest';
import { groupAlive, instancesHubForFile } from './helpers/instances.js';

const { t, boss } = instancesHubForFile({ stopGraceSeconds: 0.5 });

const spawn = (body: Record<string, unknown>) =>
  t.api('POST', '/api/v1/instances', { token: boss.token, body });
const send = async (id: string, message: string) =>
  (await t.api('POST', `/api/v1/instances/${id}/send`, { token: boss.token, body: { message } })).body;
const status = async (id: string) =>
  (await t.api('GET', `/api/v1/instances/${id}`, { token: boss.token })).body;
const events = async (id: string) =>
  (await t.api('GET', `/api/v1/instances/${id}/output?limit=1000`, { token: boss.token })).body
    .events as Array<Record<string, unknown>>;
const inbox = async () =>
  (await t.api('GET', '/api/v1/messages?limit=100', { token: boss.token })).body.messages as Array<{
    from: string;
    body: string;
  }>;

const script = (extra: Record<string, unknown>[] = []) => ({
  model: 'rehearsal-1',
  turns: [
    { reply: 'first answer', usage: { input_tokens: 100, output_tokens: 10, cache_read_input_tokens: 40 } },
    {
      tool_calls: [{ tool: 'send_message', arguments: { to: boss.id, body: 'hello from {{input}}' } }],
      reply: { template: 'second: {{input}} ({{tool_result}})' },
      usage: { input_tokens: 50, output_tokens: 5 },
    },
    { subtype: 'error_during_execution' },
    { crash: 4 },
    { permission_denials: [{ tool_name: 'rm -rf build' }] },
    ...extra,
  ],
  default: { reply: { template: 'still here: {{input}}' }, usage: { input_tokens: 1, output_tokens: 1 } },
});

describe.each(['codex', 'gemini'])('%s through the hub', (adapter) => {
  it('runs a process per turn, continues the session, counts tokens once, and judges failures truthfully', async () => {
    const res = await spawn({ adapter, script: script(), role: 'backend_developer' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const id = res.body.instance_id as string;
    expect(res.body).toMatchObject({ adapter, status: 'idle', session_id: null, pid: null });

    const one = await send(id, 'task one');
    expect(one).toMatchObject({ status: 'completed', text: 'first answer', failure: null });
    const after1 = await status(id);
    expect(after1.session_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(after1.usage.tokens).toBe(150);
    // Between turns no process runs.
    expect(groupAlive(after1.pid)).toBe(false);

    const two = await send(id, adapter);
    expect(two.status).toBe('completed');
    expect(two.text).toContain(`second: ${adapter}`);
    expect(two.result.usage).toMatchObject({ input_tokens: 50, output_tokens: 5 });
    const after2 = await status(id);
    expect(after2.session_id).toBe(after1.session_id);
    // Counted once per turn, whether the CLI reports running totals (codex) or the turn's own (gemini).
    expect(after2.usage).toMatchObject({ tokens: 205, turns: 2, cost_usd: 0 });
    expect(
      (await inbox()).some((m) => m.from === res.body.agent_id && m.body === `hello from ${adapter}`),
    ).toBe(true);

    const errored = await send(id, 'three');
    expect(errored.status).toBe('failed');
    expect(errored.failure).toMatch(adapter === 'codex' ? /the turn failed/ : /the turn ended with error/);

    const crashed = await send(id, 'four');
    expect(crashed.status).toBe('failed');
    expect(crashed.failure).toContain('exited with code 4');

    const denied = await send(id, 'five');
    expect(denied.status).toBe('failed');
    expect(denied.failure).toMatch(/permission denied/);

    // A failed turn does not end the instance: the next one continues the same session.
    const six = await send(id, 'six');
    expect(six).toMatchObject({ status: 'completed', text: 'still here: six' });
    const end = await status(id);
    expect(end).toMatchObject({ status: 'idle', session_id: after1.session_id });

    const kinds = (await events(id)).map((e) => e.kind);
    expect(kinds.filter((k) => k === 'exit')).toHaveLength(6);
    expect(kinds.filter((k) => k === 'user')).toHaveLength(6);
    expect(kinds[0]).toBe('ready');
  });

  it('stops at a token limit with the reason, and terminates cleanly between turns', async () => {
    const res = await spawn({ adapter, script: script(), limits: { max_tokens: 120 } });
    const id = res.body.instance_id as string;
    await send(id, 'go');
    const s = await status(id);
    expect(s.status).toBe('stopped');
    expect(s.reason).toContain('max_tokens exceeded: 150 tokens used, limit 120');

    const other = await spawn({ adapter, script: script() });
    const term = await t.api('DELETE', `/api/v1/instances/${other.body.instance_id}`, { token: boss.token });
    expect(term.body.terminated[0]).toMatchObject({ status: 'stopped' });
    const refused = await t.api('POST', `/api/v1/instances/${other.body.instance_id}/send`, {
      token: boss.token,
      body: { message: 'late' },
    });
    expect(refused.status).toBe(409);
  });
});
