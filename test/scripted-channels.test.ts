/**
 * The scripted agent as Claude Code's channel host, over real processes: `switchboard agent` with a
 * stdio channel server (test/fixtures/channel-fixture-server.mjs, the official SDK) that the test
 * steers through a TCP control connection, and the gateway fixture as a plain stdio tool server.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, expect, it } from 'vitest';
import { parseClaudeLine } from '../src/agents/adapters/claude-code.js';
import { startTestHub } from './helpers/hub.js';
import { Lines } from './helpers/lines.js';

const BIN = join(import.meta.dirname, '..', 'bin', 'switchboard.js');
const CHANNEL_FIXTURE = join(import.meta.dirname, 'fixtures', 'channel-fixture-server.mjs');
const TOOL_FIXTURE = join(import.meta.dirname, 'fixtures', 'mcp-fixture-server.mjs');
const WAIT_MS = 15_000;

const dir = mkdtempSync(join(tmpdir(), 'switchboard-channels-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Json = Record<string, any>;

interface Run {
  child: ChildProcessWithoutNullStreams;
  out: Lines<Json>;
  err: Lines<string>;
  /** What the channel fixtures reported on their control connections (`{event, params}`). */
  control: Lines<Json>;
  /** Sends a command to the channel fixture(s) connected to the control server. */
  tell(cmd: Json): void;
  exited: Promise<number | null>;
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** A TCP server the channel fixtures connect to. */
async function controlServer(
  control: Lines<Json>,
): Promise<{ port: number; sockets: Socket[]; server: Server }> {
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    createInterface({ input: s }).on('line', (l) => control.push(JSON.parse(l) as Json));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { port: (server.address() as { port: number }).port, sockets, server };
}

async function start(
  script: unknown,
  servers: (port: number) => Record<string, unknown>,
  flags: string[],
): Promise<Run> {
  const control = new Lines<Json>();
  const ctl = await controlServer(control);
  const id = Math.random().toString(36).slice(2);
  const scriptFile = join(dir, `s-${id}.json`);
  const configFile = join(dir, `mcp-${id}.json`);
  writeFileSync(scriptFile, JSON.stringify(script));
  writeFileSync(configFile, JSON.stringify({ mcpServers: servers(ctl.port) }));
  const child = spawn(
    process.execPath,
    [
      'bin/switchboard.js',
      'agent',
      '--script',
      scriptFile,
      '-p',
      '--output-format',
      'stream-json',
      '--input-format',
      'stream-json',
      '--verbose',
      '--mcp-config',
      configFile,
      ...flags,
    ],
    { stdio: 'pipe', env: { ...process.env, SWITCHBOARD_SCRIPTED_STATE: join(dir, 'sessions') } },
  );
  cleanups.push(() => child.kill('SIGKILL'));
  const out = new Lines<Json>();
  const err = new Lines<string>();
  createInterface({ input: child.stdout }).on('line', (l) => out.push(JSON.parse(l) as Json));
  createInterface({ input: child.stderr }).on('line', (l) => err.push(l));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const tell = (cmd: Json) => {
    for (const s of ctl.sockets) s.write(`${JSON.stringify(cmd)}\n`);
  };
  return { child, out, err, control, tell, exited };
}

const channel = (port: number, ...extra: string[]) => ({
  type: 'stdio',
  command: process.execPath,
  args: [CHANNEL_FIXTURE, '--control', String(port), ...extra],
});
const tools = { command: process.execPath, args: [TOOL_FIXTURE] };
const userTurn = (text: string) =>
  `${JSON.stringify({ type: 'user', message: { role: 'user', content: text } })}\n`;
const isResult = (l: Json) => l.type === 'result';
const toolResults = (r: Run) =>
  r.out.all.flatMap((l) => (l.type === 'user' ? parseClaudeLine(JSON.stringify(l)) : []));

it('a channel event wakes the idle session: its turn is the exact <channel> tag, meta fills the templates of a stdio tool call', async () => {
  const r = await start(
    {
      turns: [
        {
          tool_calls: [
            {
              tool: 'fixture_echo',
              server: 'tools',
              arguments: {
                text: 'to={{channel.from}} reply_to={{channel.message_id}} via={{channel.source}}',
              },
            },
          ],
          reply: { template: '{{tool_result}}' },
        },
      ],
    },
    (port) => ({ tools, chan: channel(port) }),
    ['--dangerously-load-development-channels', 'server:chan'],
  );
  const init = await r.out.next((l) => l.type === 'system', 'init');
  expect(init.mcp_servers).toEqual([{ name: 'chan', status: 'connected' }]);
  await r.control.next((e) => e.event === 'ready', 'the channel to be initialized');
  // Nothing on stdin: the event alone starts the turn.
  r.tell({
    emit: {
      content: 'Please stop the deploy <now>',
      meta: { from: 'alice', message_id: 'msg_42', subject: 'say "stop"', 'not-an-id': 'dropped' },
    },
  });
  const turn = await r.out.next(
    (l) => l.type === 'user' && l.message.content[0]?.type === 'text',
    'the turn',
  );
  expect(turn.message.content[0].text).toBe(
    '<channel source="chan" from="alice" message_id="msg_42" subject="say &quot;stop&quot;">\n' +
      'Please stop the deploy <now>\n</channel>',
  );
  const result = await r.out.next(isResult, 'the result');
  expect(result).toMatchObject({ subtype: 'success', num_turns: 1 });
  const use = r.out.all.find((l) => l.type === 'assistant' && l.message.content[0].type === 'tool_use');
  expect(use!.message.content[0]).toMatchObject({
    name: 'mcp__tools__fixture_echo',
    input: { text: 'to=alice reply_to=msg_42 via=chan' },
  });
  expect(JSON.parse(result.result as string)).toMatchObject({ text: 'to=alice reply_to=msg_42 via=chan' });
  r.child.stdin.end();
  expect(await r.exited).toBe(0);
});

it('a server not named in the flag, or one that does not declare the capability, is no channel', async () => {
  const emitAndSync = (server: string) => [
    { tool: 'channel_emit', server, arguments: { content: `from ${server}` } },
    // The event was sent before this call's answer, on the same pipe: it has reached the agent.
    { tool: 'channel_requests', server, arguments: {} },
  ];
  const r = await start(
    { turns: [{ tool_calls: [...emitAndSync('plain'), ...emitAndSync('unnamed')], reply: 'done' }] },
    (port) => ({ plain: channel(port, '--no-channel'), unnamed: channel(port) }),
    ['--channels', 'server:plain', 'server:ghost'],
  );
  await r.err.next((l) => l.includes('server:plain ignored as a channel'), 'the capability warning');
  expect(r.err.all).toContain('--channels ignored (server:ghost): no MCP server named ghost in --mcp-config');
  expect(r.err.all).toContain(
    'server:plain ignored as a channel: it does not declare the claude/channel capability',
  );
  r.child.stdin.end(userTurn('go'));
  expect(await r.exited).toBe(0);
  const results = r.out.all.filter(isResult);
  expect(results.map((l) => l.result)).toEqual(['done']);
  expect(toolResults(r).filter((e) => e.kind === 'tool_result' && e.is_error)).toEqual([]);
  expect(r.out.all.filter((l) => JSON.stringify(l).includes('<channel'))).toEqual([]);
});

const bash = { tool_name: 'Bash', description: 'List the files', input_preview: '{"command":"ls"}' };

it('a permission prompt reaches the channel and its allow answers it', async () => {
  const r = await start(
    { turns: [{ permission: bash, reply: { template: '{{permission}} by {{permission_by}}' } }] },
    (port) => ({ chan: channel(port, '--answer', 'allow') }),
    ['--dangerously-load-development-channels', 'server:chan'],
  );
  r.child.stdin.write(userTurn('list them'));
  const result = await r.out.next(isResult, 'the result');
  expect(result).toMatchObject({ subtype: 'success', result: 'allow by chan', permission_denials: [] });
  const request = await r.control.next((e) => e.event === 'permission_request', 'the prompt');
  expect(request.params).toEqual({ request_id: expect.stringMatching(/^[a-km-z]{5}$/), ...bash });
  const shown = toolResults(r);
  expect(shown).toEqual([
    expect.objectContaining({
      kind: 'tool_result',
      is_error: false,
      content: expect.stringContaining('allowed'),
    }),
  ]);
  r.child.stdin.end();
  expect(await r.exited).toBe(0);
});

it('the local dialog answers first: it wins, and the channel answer that comes later is ignored', async () => {
  const r = await start(
    {
      turns: [
        {
          permission: { ...bash, local: { behavior: 'deny', after_ms: 0 } },
          reply: { template: '{{permission}} by {{permission_by}}' },
        },
      ],
    },
    (port) => ({ chan: channel(port) }),
    ['--dangerously-load-development-channels', 'server:chan'],
  );
  r.child.stdin.write(userTurn('list them'));
  const result = await r.out.next(isResult, 'the result');
  expect(result).toMatchObject({
    result: 'deny by local',
    permission_denials: [expect.objectContaining({ tool_name: 'Bash', tool_input: { command: 'ls' } })],
  });
  const request = await r.control.next((e) => e.event === 'permission_request', 'the prompt');
  const id = request.params.request_id as string;
  r.tell({ answer: { request_id: id, behavior: 'allow' } });
  await r.err.next((l) => l === `permission ${id}: chan answered allow after local did: ignored`, 'ignored');
  r.child.stdin.end();
  expect(await r.exited).toBe(0);
  expect(r.out.all.filter(isResult)).toHaveLength(1);
});

it('a channel that denies: the tool call is not made and the result lists the denial', async () => {
  const r = await start(
    {
      turns: [
        {
          permission: {
            tool_name: 'mcp__tools__fixture_env',
            input_preview: '{"name":"HOME"}',
            timeout_ms: WAIT_MS,
          },
          tool_calls: [
            { tool: 'fixture_env', server: 'tools', arguments: { name: 'HOME' } },
            {
              tool: 'fixture_echo',
              server: 'tools',
              arguments: { text: '{{permission}} by {{permission_by}}' },
            },
          ],
          reply: { template: '{{tool_results.0}} | {{tool_results.1}}' },
        },
      ],
    },
    (port) => ({ tools, chan: channel(port, '--answer', 'deny') }),
    ['--channels', 'server:chan'],
  );
  r.child.stdin.end(userTurn('read HOME'));
  expect(await r.exited).toBe(0);
  const [result] = r.out.all.filter(isResult);
  expect(result!.result).toContain('Permission to use fixture_env was denied (answered by chan)');
  expect(JSON.parse((result!.result as string).split(' | ')[1]!)).toMatchObject({ text: 'deny by chan' });
  expect(result!.permission_denials).toEqual([
    expect.objectContaining({ tool_name: 'mcp__tools__fixture_env', tool_input: { name: 'HOME' } }),
  ]);
  const events = parseClaudeLine(JSON.stringify(result));
  expect(events[0]).toMatchObject({
    kind: 'result',
    ok: false,
    failure: 'permission denied for mcp__tools__fixture_env',
  });
});

it('tool calls go over a stdio server too: the real `switchboard mcp` bridge, whose token never shows', async () => {
  const t = await startTestHub();
  cleanups.push(() => void t.close());
  const a = await t.register('alice');
  const b = await t.register('bob');
  const r = await start(
    {
      turns: [
        {
          tool_calls: [
            { tool: 'send_message', arguments: { to: a.id, subject: 'hello', body: 'from {{session_id}}' } },
            { tool: 'whoami', arguments: {} },
          ],
          reply: { template: `{{tool_results.1}} token=${b.token}` },
        },
      ],
    },
    () => ({
      switchboard: {
        type: 'stdio',
        command: process.execPath,
        args: [BIN, 'mcp'],
        env: { SWITCHBOARD_URL: t.url, SWITCHBOARD_TOKEN: b.token, LOG_LEVEL: 'silent' },
      },
    }),
    ['--session-id', '11111111-2222-3333-4444-555555555555'],
  );
  r.child.stdin.end(userTurn('say hello'));
  expect(await r.exited).toBe(0);
  const [result] = r.out.all.filter(isResult);
  expect(result).toMatchObject({ subtype: 'success' });
  expect(result!.result).toContain(b.id);
  const inbox = await t.api('GET', '/api/v1/messages', { token: a.token });
  expect(inbox.body.messages).toEqual([
    expect.objectContaining({
      from: b.id,
      subject: 'hello',
      body: 'from 11111111-2222-3333-4444-555555555555',
    }),
  ]);
  // The bridge's token (its env in the config) is the stand-in's credential: no line carries it.
  expect(result!.result).toContain('token=[redacted]');
  expect(JSON.stringify(r.out.all)).not.toContain(b.token);
});

it('without channels, a permission prompt has the local dialog only: its answer, or denied at the bound', async () => {
  const r = await start(
    {
      turns: [
        {
          permission: { ...bash, local: { behavior: 'allow', after_ms: 0 } },
          reply: { template: '{{permission}} by {{permission_by}}' },
        },
        {
          permission: { ...bash, timeout_ms: 1 },
          reply: { template: '{{permission}} by {{permission_by}}' },
        },
      ],
    },
    () => ({}),
    [],
  );
  r.child.stdin.end(userTurn('one') + userTurn('two'));
  expect(await r.exited).toBe(0);
  const results = r.out.all.filter(isResult);
  expect(results.map((l) => l.result)).toEqual(['allow by local', 'deny by timeout']);
  expect(results.map((l) => l.permission_denials.length)).toEqual([0, 1]);
});

it('an event sent right at start waits for init and is not lost; a channel that goes away is said so', async () => {
  const r = await start(
    { default: { reply: { template: '{{channel.at}}: {{channel.content}}' } } },
    (port) => ({ chan: channel(port, '--emit-on-ready', 'early bird', '--exit-after-ready') }),
    ['--dangerously-load-development-channels', 'server:chan'],
  );
  await r.out.next(isResult, 'the result');
  expect(r.out.all.map((l) => l.type)).toEqual(['system', 'user', 'assistant', 'result']);
  expect(r.out.all[1]!.message.content[0].text).toBe(
    '<channel source="chan" at="start">\nearly bird\n</channel>',
  );
  expect(r.out.all[3]!.result).toBe('start: early bird');
  await r.err.next((l) => l.startsWith('channel server:chan disconnected'), 'the disconnect warning');
  r.child.stdin.end();
  expect(await r.exited).toBe(0);
});

it('a channel server that cannot start is warned about and the session goes on without it', async () => {
  const r = await start(
    { default: { reply: 'still here' } },
    () => ({ broken: { command: join(dir, 'no-such-program') } }),
    ['--dangerously-load-development-channels', 'server:broken'],
  );
  const init = await r.out.next((l) => l.type === 'system', 'init');
  expect(init.mcp_servers).toEqual([{ name: 'broken', status: 'failed' }]);
  expect(
    r.err.all.some((l) => l.startsWith('server:broken ignored as a channel: it failed to connect')),
  ).toBe(true);
  r.child.stdin.end(userTurn('hello?'));
  expect(await r.exited).toBe(0);
  expect(r.out.all.filter(isResult).map((l) => l.result)).toEqual(['still here']);
});
