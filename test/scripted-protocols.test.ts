/**
 * The scripted agent stands in for codex and gemini (and answers Claude Code's initialize): run as
 * real processes with the argv the REAL adapters build, their output read by the REAL parsers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claudeCode, encodeClaudeReadyProbe, parseClaudeLine } from '../src/agents/adapters/claude-code.js';
import { codex, codexArgs } from '../src/agents/adapters/codex.js';
import type { AgentEvent, TurnResult } from '../src/agents/adapters/events.js';
import { gemini, geminiArgs } from '../src/agents/adapters/gemini.js';
import { type ScriptedProtocol, scriptedCommand } from '../src/agents/adapters/scripted.js';
import type { LaunchSpec, PerTurnAdapter } from '../src/agents/adapters/types.js';
import { startTestHub, type TestHub } from './helpers/hub.js';

const root = mkdtempSync(join(tmpdir(), 'switchboard-protocols-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A private directory with the script in it, and the launch spec the hub would build for it. */
function setup(protocol: ScriptedProtocol, script: unknown, over: Partial<LaunchSpec> = {}): LaunchSpec {
  const privateDir = mkdtempSync(join(root, 'inst-'));
  const scriptFile = join(privateDir, 'script.json');
  writeFileSync(scriptFile, JSON.stringify(script));
  const spec: LaunchSpec = {
    instanceId: 'inst_test',
    workspace: privateDir,
    privateDir,
    mcpConfigFile: join(privateDir, 'mcp.json'),
    hubMcpUrl: 'http://127.0.0.1:9/mcp',
    token: 'sb_unused',
    command: scriptedCommand(protocol, scriptFile),
    permissionMode: 'default',
    sessionId: randomUUID(),
    resume: null,
    baseEnv: process.env,
    extraEnv: {},
    ...over,
  };
  return spec;
}

interface Run {
  code: number | null;
  stderr: string;
  lines: string[];
  events: AgentEvent[];
  result: TurnResult | undefined;
}

/** One turn, as the hub runs it: the adapter's launch (files, argv, env, stdin), its parser on stdout. */
function runTurn(adapter: PerTurnAdapter, spec: LaunchSpec, text: string): Promise<Run> {
  for (const f of adapter.files?.(spec) ?? []) writeFileSync(join(spec.privateDir, f.name), f.content);
  const launch = adapter.launchTurn(spec, text);
  const child = spawn(launch.file, launch.args, { env: launch.env, cwd: spec.workspace, stdio: 'pipe' });
  if (launch.stdin !== undefined) child.stdin.end(launch.stdin);
  const parse = adapter.parser();
  const lines: string[] = [];
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => (stderr += d));
  createInterface({ input: child.stdout }).on('line', (l) => lines.push(l));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`turn timed out; stderr: ${stderr}`));
    }, 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const events = lines.flatMap((l) => parse(l));
      const result = events.find((e): e is TurnResult => e.kind === 'result');
      resolve({ code, stderr, lines, events, result });
    });
  });
}

const texts = (events: AgentEvent[]) =>
  events.filter((e) => e.kind === 'text').map((e) => (e as { text: string }).text);
const initOf = (events: AgentEvent[]) =>
  events.find((e) => e.kind === 'init') as { session_id: string } | undefined;

const twoTurns = {
  model: 'rehearsal',
  turns: [
    {
      reply: { template: 'one: {{input}}' },
      usage: { input_tokens: 10, output_tokens: 4, cache_read_input_tokens: 6 },
    },
    { reply: { template: 'two: {{input}} (turn {{turn}})' }, usage: { input_tokens: 1, output_tokens: 2 } },
  ],
};

describe('codex stand-in (codex exec --json)', () => {
  it('runs the argv codexArgs builds, reads the prompt from stdin, and continues the thread on resume', async () => {
    const spec = setup('codex', twoTurns, { model: 'gpt-test', systemPrompt: 'be "brief"' });
    expect(codexArgs(spec).at(-1)).toBe('-');
    const first = await runTurn(codex, spec, 'hi');
    expect(first.code).toBe(0);
    const sid = initOf(first.events)!.session_id;
    expect(sid).toMatch(/^[0-9a-f-]{36}$/);
    expect(texts(first.events)).toEqual(['one: hi']);
    expect(first.result).toMatchObject({ ok: true, text: 'one: hi', session_id: sid, failure: null });
    // input_tokens on the wire count the cached ones; the parser splits them out.
    expect(JSON.parse(first.lines.at(-1)!)).toEqual({
      type: 'turn.completed',
      usage: { input_tokens: 16, cached_input_tokens: 6, output_tokens: 4 },
    });
    // These are the thread's running totals: the parser hands them on as session_usage.
    expect(first.result!.usage).toBeNull();
    expect(first.result!.session_usage).toEqual({
      input_tokens: 10,
      output_tokens: 4,
      cache_read_input_tokens: 6,
      cache_creation_input_tokens: 0,
    });

    const second = await runTurn(codex, { ...spec, resume: sid }, 'again');
    expect(second.code).toBe(0);
    expect(initOf(second.events)!.session_id).toBe(sid);
    expect(second.result).toMatchObject({ ok: true, text: 'two: again (turn 2)', session_id: sid });
    // Codex reports the thread's totals (usage.total, restored on resume), not this turn's alone.
    expect(second.result!.session_usage).toEqual({
      input_tokens: 11,
      output_tokens: 6,
      cache_read_input_tokens: 6,
      cache_creation_input_tokens: 0,
    });
    const state = JSON.parse(readFileSync(join(spec.privateDir, 'sessions', `${sid}.json`), 'utf8'));
    expect(state).toMatchObject({ protocol: 'codex', session_id: sid, turns: 2 });
  });

  it('fails the turn for an error subtype, a permission denial, a crash, and an unknown session', async () => {
    const failed = await runTurn(
      codex,
      setup('codex', { turns: [{ subtype: 'error_during_execution', reply: 'partial' }] }),
      'x',
    );
    expect(failed.code).toBe(1);
    expect(failed.result).toMatchObject({ ok: false, subtype: 'turn_failed' });
    expect(failed.result!.failure).toContain('error_during_execution');

    const denied = await runTurn(
      codex,
      setup('codex', { turns: [{ permission_denials: [{ tool_name: 'Bash' }], reply: 'done' }] }),
      'x',
    );
    expect(denied.code).toBe(0);
    expect(denied.result).toMatchObject({ ok: false, text: 'done' });
    // A declined command is a command_execution item: the parser names that tool, with the command.
    expect(denied.result!.failure).toMatch(/^permission denied for command_execution \(.+\)$/);
    expect(denied.result!.permission_denials).toEqual([
      { tool_name: 'command_execution', tool_input: { command: 'Bash' } },
    ]);

    const crashed = await runTurn(codex, setup('codex', { turns: [{ crash: 3 }] }), 'x');
    expect(crashed.code).toBe(3);
    expect(initOf(crashed.events)).toBeDefined();
    expect(crashed.result).toBeUndefined();

    const unknown = await runTurn(codex, setup('codex', twoTurns, { resume: randomUUID() }), 'x');
    expect(unknown.code).toBe(1);
    expect(unknown.events).toEqual([]);
    expect(unknown.stderr).toContain('no rollout found for thread id');
  });

  it('keeps sessions in $SWITCHBOARD_SCRIPTED_STATE when it is set; a crashed turn still counts', async () => {
    const stateDir = join(root, 'state-codex');
    const spec = setup(
      'codex',
      { turns: [{ crash: true }, { reply: 'recovered' }] },
      {
        baseEnv: { ...process.env, SWITCHBOARD_SCRIPTED_STATE: stateDir },
      },
    );
    const first = await runTurn(codex, spec, 'x');
    expect(first.code).toBe(1);
    const sid = initOf(first.events)!.session_id;
    expect(existsSync(join(stateDir, `${sid}.json`))).toBe(true);
    expect(existsSync(join(spec.privateDir, 'sessions'))).toBe(false);
    const second = await runTurn(codex, { ...spec, resume: sid }, 'y');
    expect(second.result).toMatchObject({ ok: true, text: 'recovered', session_id: sid });
  });
});

describe('gemini stand-in (gemini --output-format stream-json)', () => {
  it('runs the argv geminiArgs builds, streams the reply in deltas, and continues the session on resume', async () => {
    const spec = setup('gemini', twoTurns, { model: 'gemini-test', systemPrompt: 'be brief' });
    expect(geminiArgs(spec, 'hi').at(-1)).toMatch(/^--prompt=/);
    const first = await runTurn(gemini, spec, 'hi');
    expect(first.code).toBe(0);
    expect(first.events[0]).toMatchObject({ kind: 'init', model: 'gemini-test' });
    const sid = initOf(first.events)!.session_id;
    expect(sid).toMatch(/^[0-9a-f-]{36}$/);
    // The system prompt leads the first turn's prompt (geminiArgs); the reply came in several deltas.
    const deltas = first.lines.map((l) => JSON.parse(l)).filter((m) => m.type === 'message' && m.delta);
    expect(deltas.length).toBeGreaterThan(1);
    const reply = 'one: be brief\n\n---\n\nhi';
    expect(texts(first.events)).toEqual([reply]);
    expect(first.result).toMatchObject({ ok: true, text: reply, session_id: sid, subtype: 'success' });
    expect(first.result!.usage).toEqual({
      input_tokens: 10,
      output_tokens: 4,
      cache_read_input_tokens: 6,
      cache_creation_input_tokens: 0,
    });
    const stats = JSON.parse(first.lines.at(-1)!).stats;
    expect(stats).toMatchObject({
      input_tokens: 16,
      cached: 6,
      input: 10,
      output_tokens: 4,
      total_tokens: 20,
    });

    const second = await runTurn(gemini, { ...spec, resume: sid }, 'again');
    expect(second.code).toBe(0);
    expect(initOf(second.events)!.session_id).toBe(sid);
    expect(second.result).toMatchObject({ ok: true, text: 'two: again (turn 2)', session_id: sid });
    // Gemini's stats are this process's: a resumed session starts them at zero.
    expect(second.result!.usage).toMatchObject({
      input_tokens: 1,
      output_tokens: 2,
      cache_read_input_tokens: 0,
    });
  });

  it('fails the turn for an error subtype, a permission denial, a crash, and an unknown session', async () => {
    const failed = await runTurn(
      gemini,
      setup('gemini', { turns: [{ subtype: 'error_during_execution' }] }),
      'x',
    );
    expect(failed.code).toBe(1);
    expect(failed.result).toMatchObject({ ok: false, subtype: 'error' });
    expect(failed.result!.failure).toContain('error_during_execution');
    const limited = await runTurn(gemini, setup('gemini', { turns: [{ subtype: 'error_max_turns' }] }), 'x');
    expect(limited.code).toBe(53);
    expect(limited.result).toMatchObject({ ok: false });

    const denied = await runTurn(
      gemini,
      setup('gemini', { turns: [{ permission_denials: [{ tool_name: 'run_shell_command' }], reply: 'ok' }] }),
      'x',
    );
    expect(denied.code).toBe(0);
    expect(denied.result).toMatchObject({ ok: false, failure: 'permission denied for run_shell_command' });
    expect(denied.result!.permission_denials.map((d) => d.tool_name)).toEqual(['run_shell_command']);

    const crashed = await runTurn(gemini, setup('gemini', { turns: [{ crash: 4 }] }), 'x');
    expect(crashed.code).toBe(4);
    expect(crashed.result).toBeUndefined();

    const unknown = await runTurn(gemini, setup('gemini', twoTurns, { resume: randomUUID() }), 'x');
    expect(unknown.code).not.toBe(0);
    expect(unknown.events).toEqual([]);
    expect(unknown.stderr).toContain('Invalid session identifier');
  });

  it('takes the prompt verbatim, even when it looks like an option', async () => {
    const spec = setup('gemini', { default: { reply: { echo: true } } });
    // The adapter's launch (env, settings file), with these arguments after the stand-in's own.
    const withArgs = (args: string[]): PerTurnAdapter => ({
      ...gemini,
      launchTurn: (s) => ({ ...gemini.launchTurn(s, ''), args: [...s.command!.slice(1), ...args] }),
    });
    const run = (args: string[]) => runTurn(withArgs(args), spec, '');
    const eq = await run([
      '--output-format',
      'stream-json',
      '--approval-mode',
      'yolo',
      '--prompt=--help -V me',
    ]);
    expect(eq.result).toMatchObject({ ok: true, text: '--help -V me' });
    // gemini's yargs reads `--prompt -x` as two options; the stand-in refuses it rather than guess.
    const dash = await run([
      '--output-format',
      'stream-json',
      '--approval-mode',
      'yolo',
      '--prompt',
      '-V me',
    ]);
    expect(dash.code).toBe(1);
    expect(dash.stderr).toContain('--prompt=VALUE');
  });
});

describe('claude-code stand-in: the initialize control request', () => {
  function start(script: unknown): { child: ChildProcess; lines: string[]; startedAt: number } {
    const spec = setup('claude-code', script);
    writeFileSync(spec.mcpConfigFile, JSON.stringify({ mcpServers: {} }));
    const launch = claudeCode.launch(spec);
    const child = spawn(launch.file, launch.args, { env: launch.env, stdio: 'pipe' });
    const lines: string[] = [];
    child.stdout!.setEncoding('utf8');
    createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
    return { child, lines, startedAt: Date.now() };
  }
  const waitFor = async (what: () => boolean, ms: number) => {
    const end = Date.now() + ms;
    while (!what() && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
    return what();
  };
  const responses = (lines: string[]) =>
    lines.flatMap(parseClaudeLine).filter((e) => e.kind === 'control_response');

  it('answers initialize with a control_response of the same request id, after a startup delay', async () => {
    const { child, lines, startedAt } = start({ startup: { delay_ms: 400 }, default: { reply: 'hi' } });
    child.stdin!.write(encodeClaudeReadyProbe('ready_42'));
    expect(await waitFor(() => responses(lines).length > 0, 15_000)).toBe(true);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(400);
    expect(responses(lines)).toEqual([
      { kind: 'control_response', request_id: 'ready_42', ok: true, error: null },
    ]);
    const raw = lines.map((l) => JSON.parse(l)).find((m) => m.type === 'control_response');
    expect(raw.response.response).toMatchObject({ commands: [], output_style: 'default' });
    // init is still printed at startup, and turns still work.
    expect(JSON.parse(lines[0]!)).toMatchObject({ type: 'system', subtype: 'init' });
    child.stdin!.write(claudeCode.encodeTurn('x'));
    expect(await waitFor(() => lines.some((l) => JSON.parse(l).type === 'result'), 15_000)).toBe(true);
    // An unknown control request gets an error answer, not silence.
    child.stdin!.write('{"type":"control_request","request_id":"r2","request":{"subtype":"set_model"}}\n');
    expect(await waitFor(() => responses(lines).length === 2, 15_000)).toBe(true);
    expect(responses(lines)[1]).toMatchObject({ request_id: 'r2', ok: false });
    child.stdin!.end();
    const code = await new Promise((r) => child.on('close', r));
    expect(code).toBe(0);
  });

  it('never answers it when the script hangs at startup', async () => {
    const { child, lines } = start({ startup: { hang: true } });
    child.stdin!.write(encodeClaudeReadyProbe('ready_1'));
    expect(await waitFor(() => lines.length > 0, 1500)).toBe(false);
    expect(child.exitCode).toBeNull();
    child.kill('SIGKILL');
  });

  it('exits before answering it when the script crashes at startup', async () => {
    const { child, lines } = start({ startup: { crash: 5 } });
    child.stdin!.on('error', () => {});
    child.stdin!.write(encodeClaudeReadyProbe('ready_1'));
    const code = await new Promise((r) => child.on('close', r));
    expect(code).toBe(5);
    expect(lines).toEqual([]);
  });
});

describe('tool calls against a real hub', () => {
  let t: TestHub;
  let boss: { id: string; token: string };
  let worker: { id: string; token: string };
  beforeAll(async () => {
    t = await startTestHub();
    boss = await t.register('boss');
    worker = await t.register('worker');
  });
  afterAll(async () => {
    await t?.close();
  });

  const sender = (who: string) => ({
    turns: [
      {
        tool_calls: [{ tool: 'send_message', arguments: { to: '{{input}}', body: `hello from ${who}` } }],
        reply: { template: 'sent: {{tool_result}}' },
      },
    ],
  });
  const inbox = async () =>
    (await t.api('GET', '/api/v1/messages', { token: boss.token })).body.messages as Array<{
      from: string;
      body: string;
    }>;

  it('a codex turn calls send_message through the -c MCP overrides and the message is delivered', async () => {
    const spec = setup('codex', sender('codex'), { hubMcpUrl: `${t.url}/mcp`, token: worker.token });
    const run = await runTurn(codex, spec, boss.id);
    expect(run.code).toBe(0);
    const use = run.events.find((e) => e.kind === 'tool_use');
    expect(use).toMatchObject({ name: 'mcp__switchboard__send_message', input: { to: boss.id } });
    expect(run.events.find((e) => e.kind === 'tool_result')).toMatchObject({ is_error: false });
    expect(run.result).toMatchObject({ ok: true });
    const got = (await inbox()).find((m) => m.body === 'hello from codex');
    expect(got?.from).toBe(worker.id);
  });

  it('a gemini turn calls send_message through the settings file and the message is delivered', async () => {
    const spec = setup('gemini', sender('gemini'), { hubMcpUrl: `${t.url}/mcp`, token: worker.token });
    const run = await runTurn(gemini, spec, boss.id);
    expect(run.code).toBe(0);
    expect(run.events.find((e) => e.kind === 'tool_use')).toMatchObject({
      name: 'mcp_switchboard_send_message',
    });
    expect(run.events.find((e) => e.kind === 'tool_result')).toMatchObject({ is_error: false });
    expect(run.result).toMatchObject({ ok: true });
    const got = (await inbox()).find((m) => m.body === 'hello from gemini');
    expect(got?.from).toBe(worker.id);
  });

  it('without the token the tool call fails the way the CLI reports it, and nothing is sent', async () => {
    const privateEnv = { ...process.env };
    delete privateEnv.SWITCHBOARD_TOKEN;
    const spec = setup('codex', sender('nobody'), {
      hubMcpUrl: `${t.url}/mcp`,
      token: '',
      baseEnv: privateEnv,
    });
    const run = await runTurn(codex, spec, boss.id);
    const result = run.events.find((e) => e.kind === 'tool_result') as { is_error: boolean; content: string };
    expect(result.is_error).toBe(true);
    expect(result.content).toContain('SWITCHBOARD_TOKEN');
    expect((await inbox()).some((m) => m.body === 'hello from nobody')).toBe(false);
  });
});

describe('stand-ins never print their token', () => {
  it('codex and gemini: {{env.*}} of the token reads as empty, and no line carries its value', async () => {
    const token = `sb_${'T'.repeat(43)}`;
    const script = {
      default: {
        reply: {
          template: 'a={{env.SWITCHBOARD_TOKEN}} b={{env.OTHER_TOKEN}} c={{env.COPY}} d={{env.PLAIN}}',
        },
      },
    };
    for (const [protocol, adapter] of [
      ['codex', codex],
      ['gemini', gemini],
    ] as const) {
      const spec = setup(protocol, script, {
        token,
        // COPY holds the token under a harmless name: the line is still cleaned.
        baseEnv: { ...process.env, OTHER_TOKEN: 'other-secret-value', COPY: token, PLAIN: 'visible' },
      });
      const run = await runTurn(adapter, spec, 'print your token');
      expect(run.code, run.stderr).toBe(0);
      expect(run.result, protocol).toMatchObject({ ok: true, text: 'a= b= c=[redacted] d=visible' });
      expect(run.lines.join('\n')).not.toContain(token);
      expect(run.lines.join('\n')).not.toContain('other-secret-value');
    }
  });
});
