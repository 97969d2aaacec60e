/** Two scripted instances message each other through the hub's MCP tools (their own tokens, real processes). */
import { expect, it } from 'vitest';
import { instancesHubForFile, spawnScripted } from './helpers/instances.js';

const { t, boss, pids } = instancesHubForFile({ stopGraceSeconds: 0.5 });

it('two scripted instances message each other and their parent through the hub', async () => {
  const listener = await spawnScripted(t, boss.token, {
    turns: [
      {
        tool_calls: [{ tool: 'wait_for_messages', arguments: { timeout_seconds: 20 } }],
        reply: { template: 'B heard: {{tool_result}}' },
      },
    ],
  });
  const talker = await spawnScripted(t, boss.token, {
    turns: [
      {
        tool_calls: [
          { tool: 'send_message', arguments: { to: '{{input}}', body: 'hello from A' } },
          { tool: 'send_message', arguments: { to: boss.id, body: 'A reports: sent' } },
        ],
        reply: 'sent',
      },
    ],
  });
  pids.push(listener.pid, talker.pid);

  const send = (id: string, message: string) =>
    t.api('POST', `/api/v1/instances/${id}/send`, {
      token: boss.token,
      body: { message, timeout_seconds: 30 },
    });
  const [heard, sent] = await Promise.all([
    send(listener.instance_id, 'listen'),
    send(talker.instance_id, listener.agent_id),
  ]);
  expect(sent.body).toMatchObject({ status: 'completed', text: 'sent' });
  expect(heard.body.status).toBe('completed');
  expect(heard.body.text).toContain('hello from A');
  expect(heard.body.text).toContain(talker.agent_id);

  const inbox = await t.api('GET', '/api/v1/messages', { token: boss.token });
  const fromA = inbox.body.messages.find((m: { from: string }) => m.from === talker.agent_id);
  expect(fromA.body).toBe('A reports: sent');

  // The tool calls are in the talker's output as tool_use and tool_result events.
  const out = await t.api('GET', `/api/v1/instances/${talker.instance_id}/output`, { token: boss.token });
  const uses = out.body.events.filter((e: { kind: string }) => e.kind === 'tool_use');
  expect(uses.map((u: { name: string }) => u.name)).toEqual([
    'mcp__switchboard__send_message',
    'mcp__switchboard__send_message',
  ]);
  const results = out.body.events.filter((e: { kind: string }) => e.kind === 'tool_result');
  expect(results.every((r: { is_error: boolean }) => !r.is_error)).toBe(true);
});
