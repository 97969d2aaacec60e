import { describe, expect, it } from 'vitest';
import type { HubEvent } from '../src/client/types.js';
import { formatEvent } from '../src/surfaces/cli/format-event.js';

type InstanceView = Extract<HubEvent, { type: 'instance.spawned' }>['instance'];

const at = '2026-01-02T12:00:01.123Z';
const id = 'ins_abc123';

function view(patch: Partial<InstanceView> = {}): InstanceView {
  return {
    instance_id: id,
    agent_id: 'agt_1',
    name: 'backend-x1',
    owner: null,
    parent_id: null,
    root_id: id,
    adapter: 'claude-code',
    role: 'backend_developer',
    model: null,
    workspace: '/tmp/ws',
    worktree: null,
    status: 'idle',
    reason: null,
    pid: 123,
    session_id: null,
    limits: {},
    usage: { tokens: 0, cost_usd: 0, turns: 0, by_model: {} },
    permission_mode: 'accept_edits',
    restart: null,
    delivery: { mode: 'manual', settings: null },
    restarts: 0,
    exit_code: null,
    exit_signal: null,
    created_at: at,
    last_event_at: null,
    ended_at: null,
    ...patch,
  };
}

const output = (event: Record<string, unknown>): string =>
  formatEvent({ type: 'instance.output', at, instance_id: id, cursor: '7', event });

/** Every formatted line must stay one line. */
function line(text: string): string {
  expect(text).not.toMatch(/[\r\n]/);
  return text;
}

describe('formatEvent: instance events', () => {
  it('spawned: id, name, adapter, role and pid', () => {
    const text = line(formatEvent({ type: 'instance.spawned', at, instance: view() }));
    expect(text).toBe(
      `12:00:01  instance spawned  ${id} backend-x1 (claude-code, role backend_developer) pid 123`,
    );
  });

  it('spawned: model, owner and worktree when present, no pid when there is none', () => {
    const text = line(
      formatEvent({
        type: 'instance.spawned',
        at,
        instance: view({
          pid: null,
          model: 'sonnet',
          owner: 'agt_boss',
          worktree: { repo: '/r', branch: 'switchboard/ins_abc123', state: 'active', note: null },
        }),
      }),
    );
    expect(text).toContain('(claude-code, role backend_developer, model sonnet)');
    expect(text).toContain('owner agt_boss');
    expect(text).toContain('worktree switchboard/ins_abc123');
    expect(text).not.toContain('pid');
  });

  it('status: previous → current, with the reason when there is one', () => {
    const plain = formatEvent({
      type: 'instance.status',
      at,
      instance_id: id,
      previous: 'idle',
      status: 'busy',
      reason: null,
    });
    expect(plain).toBe(`12:00:01  instance status  ${id} idle → busy`);
    const why = line(
      formatEvent({
        type: 'instance.status',
        at,
        instance_id: id,
        previous: 'busy',
        status: 'stopping',
        reason: 'limit reached:\nmax_tokens',
      }),
    );
    expect(why).toContain(`${id} busy → stopping (limit reached: max_tokens)`);
  });

  it('output text: what the instance says, on one line and shortened', () => {
    expect(line(output({ kind: 'text', text: 'hello\n\nworld' }))).toBe(
      `12:00:01  instance output  ${id} says: hello world`,
    );
    const long = line(output({ kind: 'text', text: 'x'.repeat(1000) }));
    expect(long.length).toBeLessThan(300);
    expect(long).toContain('…');
  });

  it('output tool_use: the tool name and its arguments, truncated', () => {
    const text = line(
      output({
        kind: 'tool_use',
        id: 'tu_1',
        name: 'mcp__switchboard__send_message',
        input: { to: 'agt_2', body: 'y'.repeat(500) },
      }),
    );
    expect(text).toContain(`${id} tool mcp__switchboard__send_message {"to":"agt_2","body":"yyy`);
    expect(text).toContain('…');
    expect(text.length).toBeLessThan(300);
  });

  it('output tool_result: ok or error with the content', () => {
    expect(line(output({ kind: 'tool_result', id: 'tu_1', content: 'sent\nok', is_error: false }))).toContain(
      `${id} tool result ok: sent ok`,
    );
    expect(line(output({ kind: 'tool_result', id: 'tu_1', content: 'denied', is_error: true }))).toContain(
      'tool result error: denied',
    );
  });

  it('output result: success with tokens and cost, or the failure', () => {
    const ok = line(
      output({
        kind: 'result',
        ok: true,
        subtype: 'success',
        failure: null,
        text: 'done',
        usage: {
          input_tokens: 1000,
          output_tokens: 200,
          cache_read_input_tokens: 34,
          cache_creation_input_tokens: 0,
        },
        total_cost_usd: 0.0123,
      }),
    );
    expect(ok).toContain(`${id} turn result success · 1,234 tokens · $0.0123`);
    const failed = line(
      output({
        kind: 'result',
        ok: false,
        subtype: 'error_during_execution',
        failure: 'interrupted\nby user',
      }),
    );
    expect(failed).toContain(`${id} turn result failed: interrupted by user`);
    expect(line(output({ kind: 'result', ok: false, subtype: 'error_max_turns', failure: null }))).toContain(
      'turn result failed: error_max_turns',
    );
  });

  it('output user, init, exit, error, workspace, interrupt', () => {
    expect(line(output({ kind: 'user', turn: 2, text: 'do the\nthing' }))).toContain(`${id} ← do the thing`);
    expect(
      line(output({ kind: 'init', session_id: 'sess-1', model: 'rehearsal', tools: ['a', 'b'] })),
    ).toContain(`${id} init session sess-1, model rehearsal, 2 tools`);
    expect(line(output({ kind: 'exit', code: 0, signal: null }))).toContain(`${id} exited (code 0)`);
    const killed = line(output({ kind: 'exit', code: null, signal: 'SIGKILL', stderr: 'boom | bang' }));
    expect(killed).toContain('exited (killed by SIGKILL) stderr: boom | bang');
    expect(line(output({ kind: 'error', message: 'unparsable output line: {' }))).toContain(
      `${id} error: unparsable output line: {`,
    );
    const ws = line(
      output({
        kind: 'workspace',
        path: '/w/ins',
        branch: 'feat',
        state: 'kept',
        note: '2 files changed:\na\nb',
      }),
    );
    expect(ws).toContain(`${id} worktree kept /w/ins branch feat (2 files changed: a b)`);
    expect(line(output({ kind: 'interrupt', method: 'stdin_control_request', busy: true }))).toContain(
      `${id} interrupt (stdin_control_request, turn running)`,
    );
    expect(line(output({ kind: 'interrupt', method: 'sigint', busy: false }))).toContain('nothing running');
  });

  it('output of an unknown kind: the kind and compact JSON', () => {
    const text = line(output({ kind: 'thinking', text: 'hmm', depth: 2 }));
    expect(text).toBe(`12:00:01  instance output  ${id} thinking {"text":"hmm","depth":2}`);
  });

  it('ended: status, reason, exit and usage totals', () => {
    const text = line(
      formatEvent({
        type: 'instance.ended',
        at,
        instance: view({
          status: 'stopped',
          reason: 'terminated by admin',
          exit_code: 0,
          usage: { tokens: 12345, cost_usd: 0.5, turns: 3, by_model: {} },
        }),
      }),
    );
    expect(text).toBe(
      `12:00:01  instance ended  ${id} backend-x1 stopped (terminated by admin) · exit 0 · 12,345 tokens · $0.5000 · 3 turns`,
    );
    const killed = line(
      formatEvent({
        type: 'instance.ended',
        at,
        instance: view({
          status: 'failed',
          exit_signal: 'SIGKILL',
          usage: { tokens: 0, cost_usd: 0, turns: 1, by_model: {} },
        }),
      }),
    );
    expect(killed).toContain('failed · killed by SIGKILL · 0 tokens · $0.0000 · 1 turn');
  });

  it('stuck: how long it has been silent', () => {
    expect(formatEvent({ type: 'instance.stuck', at, instance_id: id, silent_seconds: 120 })).toBe(
      `12:00:01  instance stuck  ${id} silent for 120 s`,
    );
  });

  it('instance events it does not know fall to the JSON line', () => {
    expect(
      line(
        formatEvent({
          type: 'instance.restarted',
          at,
          instance_id: id,
          restarts: 2,
          reason: 'the process exited with code 7',
        }),
      ),
    ).toBe(`12:00:01  instance restarted  ${id} (restart 2): the process exited with code 7`);
    const text = line(formatEvent({ type: 'instance.migrated', at, instance_id: id, attempt: 2 }));
    expect(text).toBe(`12:00:01  instance.migrated  {"at":"${at}","instance_id":"${id}","attempt":2}`);
  });
});

describe('formatEvent: presence', () => {
  it('a registration seen without a token (presence only, no capabilities) still prints one line', () => {
    const presence = {
      type: 'agent.registered',
      at,
      agent: { agent_id: 'agt_1', name: 'Builder', status: 'active', project: 'default' },
    } as const;
    expect(formatEvent(presence)).toMatch(/agent registered {2}agt_1 \(Builder\)$/);
  });
});
