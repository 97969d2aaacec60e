/**
 * The README's quick start for channels, as a user runs it: `switchboard connect claude-code
 * --channel` twice, then two Claude Code sessions (the scripted stand-in, `switchboard agent`, which
 * hosts channels as Claude Code does) launched with the printed `.mcp.json` and
 * `--dangerously-load-development-channels server:switchboard`. One session tells the other to stop;
 * the other wakes by itself, answers with send_message reply_to, and the answer wakes the first.
 * Nobody calls wait_for_messages or check_inbox. Then the permission relay: a prompt of a session
 * becomes a hub approval, the admin approves it over REST, and the session's dialog gets `allow`.
 */
import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './helpers/hub.js';
import { Lines } from './helpers/lines.js';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '..', 'bin', 'switchboard.js');
const WAIT_MS = 20_000;
type Json = Record<string, any>;

let t: TestHub;
const dir = mkdtempSync(join(tmpdir(), 'switchboard-sessions-'));
const children: ChildProcessWithoutNullStreams[] = [];
beforeAll(async () => {
  t = await startTestHub();
});
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});
afterAll(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

/** `switchboard connect claude-code --channel --json`: what the user pastes into .mcp.json, and the launch flags. */
async function connect(name: string, ...flags: string[]) {
  const { stdout } = await run(
    process.execPath,
    [BIN, 'connect', 'claude-code', '--channel', ...flags, '--name', name, '--url', t.url, '--json'],
    { env: { ...process.env, SWITCHBOARD_URL: t.url } },
  );
  const data = JSON.parse(stdout) as { agent_id: string; config: Json; launch: string[] };
  expect(data.launch).toEqual(['claude', '--dangerously-load-development-channels', 'server:switchboard']);
  return data;
}

/** A Claude Code session (the stand-in) started the way the launch command says, with .mcp.json. */
function launch(name: string, mcpJson: Json, script: Json, launchArgs: string[]) {
  const config = join(dir, `${name}.mcp.json`);
  const scriptFile = join(dir, `${name}.script.json`);
  writeFileSync(config, JSON.stringify(mcpJson));
  writeFileSync(scriptFile, JSON.stringify(script));
  const child = spawn(
    process.execPath,
    [
      BIN,
      'agent',
      '--script',
      scriptFile,
      '-p',
      '--input-format',
      'stream-json',
      '--output-format',
      'stream-json',
      '--verbose',
      '--mcp-config',
      config,
      ...launchArgs.slice(1),
    ],
    { stdio: 'pipe', env: { ...process.env, SWITCHBOARD_SCRIPTED_STATE: join(dir, 'state') } },
  );
  children.push(child);
  const out = new Lines<Json>(WAIT_MS);
  createInterface({ input: child.stdout }).on('line', (l) => out.push(JSON.parse(l) as Json));
  return { child, out };
}

const results = (s: { out: Lines<Json> }) =>
  s.out.all.filter((l) => l.type === 'result').map((l) => l.result);
const turnTexts = (s: { out: Lines<Json> }) =>
  s.out.all
    .filter((l) => l.type === 'user' && typeof l.message?.content?.[0]?.text === 'string')
    .map((l) => l.message.content[0].text as string);
const userTurn = (text: string) =>
  `${JSON.stringify({ type: 'user', message: { role: 'user', content: text } })}\n`;

describe('two Claude Code sessions talk through their channels', () => {
  it('a message wakes the other session, its reply wakes the first: no wait_for_messages anywhere', async () => {
    const lead = await connect('lead');
    const builder = await connect('builder');
    // The lead's user asks it to tell the builder to stop; the lead's next turn is the builder's answer.
    const leadScript = {
      turns: [
        {
          tool_calls: [
            {
              tool: 'send_message',
              arguments: {
                to: builder.agent_id,
                subject: 'deploy',
                body: 'Stop the deploy now',
                importance: 'high',
              },
            },
          ],
          reply: 'told the builder',
        },
        { reply: { template: 'heard from {{channel.from}}: {{channel.content}}' } },
      ],
    };
    // The builder does nothing until a channel event arrives, then answers in the thread.
    const builderScript = {
      turns: [
        {
          tool_calls: [
            {
              tool: 'send_message',
              arguments: {
                to: '{{channel.from}}',
                reply_to: '{{channel.message_id}}',
                body: 'Stopped ({{channel.subject}}, {{channel.importance}})',
              },
            },
          ],
          reply: 'answered',
        },
      ],
    };
    const b = launch('builder', builder.config, builderScript, builder.launch);
    const a = launch('lead', lead.config, leadScript, lead.launch);
    await b.out.next((l) => l.type === 'system', 'the builder session to start');
    a.child.stdin.write(userTurn('Tell the builder to stop the deploy'));

    const heard = await a.out.next(
      (l) => l.type === 'result' && String(l.result).startsWith('heard'),
      'the builder’s answer to reach the lead',
    );
    expect(heard.result).toBe(`heard from ${builder.agent_id}: Stopped (deploy, high)`);
    expect(results(b)).toEqual(['answered']);
    // The builder's only turn was the channel event, carrying the lead's message and its ids.
    const [builderTurn] = turnTexts(b);
    expect(builderTurn).toMatch(
      new RegExp(
        `^<channel source="switchboard" from="${lead.agent_id}" type="message" thread_id="[^"]+" message_id="msg_[^"]+" importance="high"`,
      ),
    );
    expect(builderTurn).toContain('>\nStop the deploy now\n</channel>');

    // Both messages are one thread, both read (pushed = delivered into the session), none waiting. The
    // bridge marks a message read once its event was written, which may land just after the turn it
    // started has answered: wait for it.
    const unread = async () =>
      Promise.all(
        [lead, builder].map(
          async (s) =>
            (await t.api('GET', '/api/v1/messages?unread_only=true', { token: tokenOf(s) })).body.messages,
        ),
      );
    await expect.poll(unread, { timeout: 10_000 }).toEqual([[], []]);
    const all = await t.api('GET', '/api/v1/messages?since=0', { token: tokenOf(lead) });
    const reply = all.body.messages.find((m: Json) => m.from === builder.agent_id);
    expect(reply).toMatchObject({ body: 'Stopped (deploy, high)', read_at: expect.any(String) });
    expect(reply.reply_to).toMatch(/^msg_/);
  });
});

describe('permission relay with a Claude Code session', () => {
  it('a prompt becomes a hub approval; the admin approves over REST and the session’s dialog gets allow', async () => {
    const dev = await connect('dev', '--permission-relay');
    expect(dev.config.mcpServers.switchboard.args).toContain('--permission-relay');
    const s = launch(
      'dev',
      dev.config,
      {
        turns: [
          {
            permission: {
              tool_name: 'Bash',
              description: 'Run the migration',
              input_preview: '{"command":"npm run migrate"}',
            },
            reply: { template: '{{permission}} by {{permission_by}}' },
          },
        ],
      },
      dev.launch,
    );
    await s.out.next((l) => l.type === 'system', 'the session to start');
    s.child.stdin.write(userTurn('migrate the database'));
    let approvalId = '';
    await expect
      .poll(
        async () => {
          const list = await t.api('GET', '/api/v1/gateway/approvals?status=pending&kind=permission', {
            token: t.adminToken,
          });
          approvalId = list.body.approvals[0]?.id ?? '';
          return list.body.approvals.map((x: Json) => [x.kind, x.tool, x.description, x.agent_id]);
        },
        { timeout: WAIT_MS },
      )
      .toEqual([['permission', 'Bash', 'Run the migration', dev.agent_id]]);
    const decided = await t.api('POST', `/api/v1/gateway/approvals/${approvalId}/approve`, {
      token: t.adminToken,
      body: { reason: 'reviewed' },
    });
    expect(decided.status).toBe(200);
    const result = await s.out.next((l) => l.type === 'result', 'the turn to end');
    expect(result.result).toBe('allow by switchboard');
    expect(result.permission_denials).toEqual([]);
  });
});

function tokenOf(c: { config: Json }): string {
  return c.config.mcpServers.switchboard.env.SWITCHBOARD_TOKEN as string;
}
