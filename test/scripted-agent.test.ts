/** The scripted agent speaks Claude Code's stream-json protocol: checked through the claude-code adapter's parser. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { parseClaudeLine } from '../src/agents/adapters/claude-code.js';
import { command } from '../src/agents/adapters/command.js';
import type { AgentEvent } from '../src/agents/adapters/events.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-script-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(script: unknown, turns: string[], extra: string[] = []) {
  const file = join(dir, `s${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(script));
  const input = turns
    .map((t) => JSON.stringify({ type: 'user', message: { role: 'user', content: t } }))
    .join('\n');
  const res = spawnSync(
    process.execPath,
    [
      'bin/switchboard.js',
      'agent',
      '--script',
      file,
      '-p',
      '--output-format',
      'stream-json',
      '--verbose',
      ...extra,
    ],
    { input: `${input}\n`, encoding: 'utf8', timeout: 30_000 },
  );
  const lines = res.stdout.split('\n').filter(Boolean);
  return { status: res.status, stderr: res.stderr, lines, events: lines.flatMap(parseClaudeLine) };
}

const results = (events: AgentEvent[]) =>
  events.filter((e): e is Extract<AgentEvent, { kind: 'result' }> => e.kind === 'result');

it('answers each turn with init, assistant and result lines; modelUsage and cost are cumulative', () => {
  const r = run(
    {
      model: 'm1',
      turns: [
        {
          reply: { template: '{{turn}}:{{input}}' },
          usage: { input_tokens: 10, output_tokens: 2 },
          cost_usd: 0.5,
        },
        { reply: 'fixed', usage: { input_tokens: 1, output_tokens: 1 }, cost_usd: 0.25 },
      ],
    },
    ['a', 'b', 'c'],
    ['--session-id', '11111111-2222-3333-4444-555555555555'],
  );
  expect(r.status).toBe(0);
  expect(JSON.parse(r.lines[0]!)).toMatchObject({ type: 'system', subtype: 'init', model: 'm1' });
  const texts = r.events.filter((e) => e.kind === 'text').map((e) => (e as { text: string }).text);
  expect(texts).toEqual(['1:a', 'fixed', 'c']);
  const [r1, r2, r3] = results(r.events);
  expect(r1).toMatchObject({ ok: true, total_cost_usd: 0.5, num_turns: 1 });
  expect(r1!.session_id).toBe('11111111-2222-3333-4444-555555555555');
  expect(r2!.model_usage!.m1).toMatchObject({ input_tokens: 11, output_tokens: 3, cost_usd: 0.75 });
  expect(r3!.usage).toMatchObject({ input_tokens: 100, output_tokens: 20 });
});

it('crashes without a result, fails with an error subtype, and reports permission denials', () => {
  const crash = run({ turns: [{ crash: 7 }] }, ['x']);
  expect(crash.status).toBe(7);
  expect(results(crash.events)).toHaveLength(0);

  const denied = run({ turns: [{ permission_denials: [{ tool_name: 'Write' }] }] }, ['x']);
  expect(results(denied.events)[0]).toMatchObject({ ok: false, failure: 'permission denied for Write' });

  const budget = run({ default: { cost_usd: 1 } }, ['x', 'y'], ['--max-budget-usd', '1.5']);
  expect(results(budget.events).map((e) => e.subtype)).toEqual(['success', 'error_max_budget_usd']);

  const bad = run({ turns: [{ reply: 3 }] }, ['x']);
  expect(bad.status).not.toBe(0);
  expect(bad.stderr).toContain('turns.0.reply');
});

it('the command adapter reads plain text and JSON lines', () => {
  expect(command.parser()('hello')).toEqual([{ kind: 'text', text: 'hello' }]);
  expect(command.parser()('{"type":"result","is_error":true}')[0]).toMatchObject({
    kind: 'result',
    ok: false,
  });
  expect(command.encodeTurn('two\nlines')).toBe('two lines\n');
});
