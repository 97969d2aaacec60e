/**
 * The `switchboard` CLI as a user runs it: a child process (`node bin/switchboard.js`, built) against a
 * real test hub found through SWITCHBOARD_URL. Checks output, --json, exit codes and one-line errors.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { HIDDEN_VALUE } from '../src/config/placeholders.js';
import { EXIT_CODE } from '../src/core/errors.js';
import { startTestHub, type TestHub } from './helpers/hub.js';

const BIN = join(import.meta.dirname, '..', 'bin', 'switchboard.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let h: TestHub;
let emptyHome: string;

function cliEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: emptyHome,
    SWITCHBOARD_URL: h.url,
    SWITCHBOARD_HOME: emptyHome,
    ...extra,
  };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  return env;
}

/** Runs the CLI to completion (asynchronously: the hub lives in this process). */
function cli(args: string[], extra: Record<string, string | undefined> = {}, stdin?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: cliEnv(extra), stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(stdin ?? '');
  });
}

const json = (run: Run) => JSON.parse(run.stdout);

/** A failure: the given exit code and exactly one line on stderr. */
function expectFailure(run: Run, code: number, pattern: RegExp): void {
  expect(run.code).toBe(code);
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^switchboard: /);
  expect(lines[0]).toMatch(pattern);
}

beforeAll(async () => {
  h = await startTestHub();
  emptyHome = mkdtempSync(join(tmpdir(), 'switchboard-cli-home-'));
});

afterAll(async () => {
  await h?.close();
  rmSync(emptyHome, { recursive: true, force: true });
});

describe('status, agents, config', () => {
  it('status prints the hub’s state, --json the raw answer', async () => {
    const text = await cli(['status']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`at ${h.url}: ok`);
    const raw = await cli(['status', '--json']);
    expect(raw.code).toBe(0);
    expect(json(raw)).toMatchObject({ status: 'ok', version: expect.any(String) });
  });

  it('agents lists who is registered, with filters', async () => {
    const a = await h.register('lister-a', { capabilities: ['cli-cap'], role: 'reviewer' });
    const b = await h.register('lister-b');
    const all = await cli(['agents']);
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/^AGENT\s+NAME\s+STATUS/);
    expect(all.stdout).toContain(a.id);
    expect(all.stdout).toContain(b.id);
    const line = all.stdout.split('\n').find((l) => l.startsWith(a.id));
    expect(line).toMatch(/lister-a\s+active\s+cli-cap\s+reviewer/);

    const filtered = await cli(['agents', '--capability', 'cli-cap', '--json']);
    expect(filtered.code).toBe(0);
    expect(json(filtered).agents.map((x: { agent_id: string }) => x.agent_id)).toEqual([a.id]);

    const none = await cli(['agents', '--capability', 'nobody-has-this']);
    expect(none.stdout.trim()).toBe('no agents');
    const badStatus = await cli(['agents', '--status', 'sleepy']);
    expectFailure(badStatus, EXIT_CODE.invalid_input, /sleepy.*Allowed choices/);
  });

  it('config prints the effective configuration as a config file, with every secret left out', async () => {
    const secret = 'a-very-secret-admin-token-123';
    const gatewaySecret = `gw-secret-${randomUUID()}`;
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-cli-config-'));
    const source = join(dir, 'source.json');
    const reference = '${env:HOME}';
    writeFileSync(
      source,
      JSON.stringify({
        presence: { idleAfterSeconds: 60 },
        instances: { env: { CHILD_KEY: gatewaySecret, CHILD_REF: reference } },
        gateway: {
          servers: [{ name: 'fx', command: 'node', env: { API_KEY: gatewaySecret, REF: reference } }],
        },
      }),
    );
    const run = await cli(['config', '--json', '--config', source, '--port', '7999'], {
      SWITCHBOARD_ADMIN_TOKEN: secret,
      LOG_LEVEL: 'debug',
    });
    expect(run.code).toBe(0);
    for (const text of [run.stdout, run.stderr]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(gatewaySecret);
    }
    const printed = json(run);
    expect(printed).not.toHaveProperty('adminToken');
    expect(printed).toMatchObject({ port: 7999, logLevel: 'debug', home: emptyHome });
    expect(printed.presence.idleAfterSeconds).toBe(60);
    expect(printed.gateway.servers[0].env).toEqual({ API_KEY: HIDDEN_VALUE, REF: reference });
    expect(printed.instances.env).toEqual({ CHILD_KEY: HIDDEN_VALUE, CHILD_REF: reference });
    expect(run.stderr).toContain('# admin token: set (SWITCHBOARD_ADMIN_TOKEN); not printed');
    expect(run.stderr).toContain('# gateway.servers.0.env.API_KEY: hidden');
    expect(run.stderr).toContain(`# client commands connect to ${h.url}`);

    // Fed back as a config file: the hidden value is refused by name, never taken for the secret...
    const file = join(dir, 'printed.json');
    writeFileSync(file, run.stdout);
    expect(() => loadConfig({ env: {}, file })).toThrow(
      /gateway\.servers\.0\.env\.API_KEY: `switchboard config` hid this value/,
    );
    // ...and with it put back, the file is the same configuration (the admin token still from the env).
    printed.gateway.servers[0].env.API_KEY = gatewaySecret;
    printed.instances.env.CHILD_KEY = gatewaySecret;
    writeFileSync(file, JSON.stringify(printed));
    const env = { SWITCHBOARD_HOME: emptyHome, SWITCHBOARD_ADMIN_TOKEN: secret, LOG_LEVEL: 'debug' };
    expect(loadConfig({ env: { SWITCHBOARD_ADMIN_TOKEN: secret }, file })).toEqual(
      loadConfig({ env, file: source, flags: { port: 7999 } }),
    );

    const text = await cli(['config'], { SWITCHBOARD_ADMIN_TOKEN: secret });
    expect(text.code).toBe(0);
    expect(text.stdout).not.toContain(secret);
    const broken = await cli(['config', '--port', 'many']);
    expectFailure(broken, EXIT_CODE.invalid_input, /port/);
  });

  it('config > file; serve --config file starts a hub from it', async () => {
    const home = mkdtempSync(join(tmpdir(), 'switchboard-cli-roundtrip-'));
    const printed = await cli(['config', '--port', '0', '--log-level', 'warn'], { SWITCHBOARD_HOME: home });
    expect(printed.code).toBe(0);
    const file = join(home, 'config.json');
    writeFileSync(file, printed.stdout);
    const serve = spawn(process.execPath, [BIN, 'serve', '--config', file], {
      env: cliEnv({ SWITCHBOARD_HOME: undefined }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const first = await new Promise<string>((resolve, reject) => {
        let out = '';
        let err = '';
        serve.stdout.on('data', (d) => {
          out += d;
          if (out.includes('\n')) resolve(out.split('\n')[0]);
        });
        serve.stderr.on('data', (d) => (err += d));
        serve.on('close', (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
      });
      expect(first).toMatch(/^switchboard listening on http:\/\/127\.0\.0\.1:\d+$/);
      const health = await fetch(`${first.split(' ').pop()}/health`);
      expect(health.status).toBe(200);
    } finally {
      serve.kill('SIGTERM');
      await new Promise((resolve) => serve.once('close', resolve));
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('send and inbox', () => {
  it('sends text and JSON bodies and reads them back once', async () => {
    const alice = await h.register('alice');
    const bob = await h.register('bob');
    const sent = await cli(['send', bob.id, 'hello bob', '--subject', 'greeting', '--json'], {
      SWITCHBOARD_TOKEN: alice.token,
    });
    expect(sent.code).toBe(0);
    expect(json(sent)).toMatchObject({ success: true, recipients: [bob.id] });

    const proposal = await cli(
      [
        'send',
        bob.id,
        '{"task":"review","files":["a.ts"]}',
        '--type',
        'task_proposal',
        '--importance',
        'high',
      ],
      { SWITCHBOARD_TOKEN: alice.token },
    );
    expect(proposal.code).toBe(0);
    expect(proposal.stdout).toMatch(/^sent msg_\S+ to 1 recipient \(/);
    const piped = await cli(['send', bob.id, '-'], { SWITCHBOARD_TOKEN: alice.token }, 'from stdin\n');
    expect(piped.code).toBe(0);

    const inbox = await cli(['inbox'], { SWITCHBOARD_TOKEN: bob.token });
    expect(inbox.code).toBe(0);
    const lines = inbox.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toContain(`${alice.id} → ${bob.id} greeting: hello bob`);
    expect(lines[1]).toContain('[task_proposal] {"task":"review","files":["a.ts"]} (high)');
    expect(lines[2]).toContain('from stdin');
    expect(lines[3]).toMatch(/^next cursor: \d+$/);

    // They were marked read: a second look finds nothing unread; --all --json shows the objects.
    const again = await cli(['inbox'], { SWITCHBOARD_TOKEN: bob.token });
    expect(again.stdout).toMatch(/^no unread messages/);
    const all = await cli(['inbox', '--all', '--json'], { SWITCHBOARD_TOKEN: bob.token });
    expect(json(all).messages.map((m: { body: unknown }) => m.body)).toEqual([
      'hello bob',
      { task: 'review', files: ['a.ts'] },
      'from stdin',
    ]);
  });

  it('sends to a list of ids and to a capability', async () => {
    const from = await h.register('fanout');
    const r1 = await h.register('r1', { capabilities: ['fan'] });
    const r2 = await h.register('r2', { capabilities: ['fan'] });
    const list = await cli(['send', `${r1.id},${r2.id}`, 'both', '--json'], {
      SWITCHBOARD_TOKEN: from.token,
    });
    expect(json(list).recipients.sort()).toEqual([r1.id, r2.id].sort());
    const cap = await cli(['send', 'capability:fan', 'by capability', '--json'], {
      SWITCHBOARD_TOKEN: from.token,
    });
    expect(json(cap).recipients.sort()).toEqual([r1.id, r2.id].sort());
  });

  it('acts for an agent as the admin with --admin (token from the hub’s data directory)', async () => {
    const sender = await h.register('admin-sender');
    const target = await h.register('admin-target');
    const sent = await cli(['send', target.id, 'on behalf', '--admin', '--from', sender.id, '--json'], {
      SWITCHBOARD_HOME: h.home,
    });
    expect(sent.code).toBe(0);
    const peek = await cli(['inbox', '--admin', '--agent', target.id, '--peek', '--json'], {
      SWITCHBOARD_HOME: h.home,
    });
    expect(peek.code).toBe(0);
    expect(json(peek).messages.map((m: { from: string; body: unknown }) => [m.from, m.body])).toEqual([
      [sender.id, 'on behalf'],
    ]);
    const noToken = await cli(['inbox', '--admin', '--agent', target.id]);
    expectFailure(noToken, EXIT_CODE.unauthorized, /admin token.*SWITCHBOARD_ADMIN_TOKEN/);
  });

  it('fails with one line and the right exit code', async () => {
    const me = await h.register('failing');
    const noToken = await cli(['send', me.id, 'hi']);
    expectFailure(noToken, EXIT_CODE.unauthorized, /--token/);
    const badToken = await cli(['inbox'], { SWITCHBOARD_TOKEN: 'sb_not_a_real_token_at_all' });
    expectFailure(badToken, EXIT_CODE.unauthorized, /token is not valid/);
    const nobody = await cli(['send', 'nobody-here', 'hi'], { SWITCHBOARD_TOKEN: me.token });
    expectFailure(nobody, EXIT_CODE.not_found, /No agent nobody-here/);
    const withJson = await cli(['send', 'nobody-here', 'hi', '--json'], { SWITCHBOARD_TOKEN: me.token });
    expect(withJson.code).toBe(EXIT_CODE.not_found);
    expect(json(withJson)).toMatchObject({ success: false, error: { code: 'not_found' } });
    const badTtl = await cli(['send', me.id, 'hi', '--ttl', 'soon'], { SWITCHBOARD_TOKEN: me.token });
    expectFailure(badTtl, EXIT_CODE.invalid_input, /--ttl/);
    const noBody = await cli(['send', me.id], { SWITCHBOARD_TOKEN: me.token });
    expectFailure(noBody, EXIT_CODE.invalid_input, /No message body/);
    const unknownFlag = await cli(['inbox', '--colour', 'red']);
    expectFailure(unknownFlag, EXIT_CODE.invalid_input, /unknown option '--colour'/);
    const missingArg = await cli(['send']);
    expectFailure(missingArg, EXIT_CODE.invalid_input, /missing required argument 'to'/);
    const down = await cli(['status', '--url', 'http://127.0.0.1:9']);
    expectFailure(down, EXIT_CODE.unavailable, /Cannot reach the hub at http:\/\/127\.0\.0\.1:9/);
    const badUrl = await cli(['status', '--url', 'nowhere']);
    expectFailure(badUrl, EXIT_CODE.invalid_input, /not a hub URL/);
  });
});

describe('generated operation commands', () => {
  it('has one per operation, with typed flags, a kebab-case alias and --input', async () => {
    const me = await h.register('ops-user', { capabilities: ['ops'] });
    const peer = await h.register('ops-peer');

    const got = await cli(['get_agent', '--agent-id', me.id, '--json']);
    expect(got.code).toBe(0);
    expect(json(got).agent).toMatchObject({ agent_id: me.id, capabilities: ['ops'] });
    const pretty = await cli(['get-agent', '--agent-id', me.id]);
    expect(pretty.code).toBe(0);
    expect(JSON.parse(pretty.stdout).agent.name).toBe('ops-user');

    // Union (string | object) body, a boolean flag, a number flag.
    const sent = await cli(
      [
        'send_message',
        '--to',
        peer.id,
        '--body',
        '{"n":1}',
        '--ack-required',
        '--ttl-seconds',
        '600',
        '--json',
      ],
      { SWITCHBOARD_TOKEN: me.token },
    );
    expect(sent.code).toBe(0);
    const messageId = json(sent).message_id;
    const second = await cli(
      ['send-message', '--input', JSON.stringify({ to: peer.id, body: 'two' }), '--subject', 's2', '--json'],
      {
        SWITCHBOARD_TOKEN: me.token,
      },
    );
    expect(second.code).toBe(0);

    // A boolean set to false (--x=false; --no-x too) and a number limit; the whole input by --input.
    const peek = await cli(['check_inbox', '--mark-read=false', '--limit', '1', '--json'], {
      SWITCHBOARD_TOKEN: peer.token,
    });
    const page = json(peek);
    expect(page.messages.map((m: { body: unknown }) => m.body)).toEqual([{ n: 1 }]);
    expect(page.messages[0]).toMatchObject({ ack_required: true, expires_at: expect.any(String) });
    expect(page.has_more).toBe(true);
    const rest = await cli(['check-inbox', '--input', '{"since":"0","limit":5}', '--json'], {
      SWITCHBOARD_TOKEN: peer.token,
    });
    expect(json(rest).messages.map((m: { subject: string | null }) => m.subject)).toEqual([null, 's2']);

    // Arrays: repeated or comma-separated.
    const ids = json(rest).messages.map((m: { message_id: string }) => m.message_id);
    const acked = await cli(
      ['ack_message', '--message-ids', ids[0], '--message-ids', `${ids[1]},msg_unknown`, '--json'],
      {
        SWITCHBOARD_TOKEN: peer.token,
      },
    );
    expect(json(acked)).toEqual({ success: true, acked: ids, unknown: ['msg_unknown'] });
    expect(ids[0]).toBe(messageId);

    // Objects as JSON.
    const reg = await cli([
      'register_agent',
      '--name',
      'with-meta',
      '--metadata',
      '{"team":"cli"}',
      '--capabilities',
      'a,b',
      '--json',
    ]);
    expect(reg.code).toBe(0);
    expect(json(reg)).toMatchObject({
      agent: { metadata: { team: 'cli' }, capabilities: ['a', 'b'] },
      token: expect.any(String),
    });

    const thread = await cli(['get_thread', '--thread-id', messageId, '--json'], {
      SWITCHBOARD_TOKEN: me.token,
    });
    expect(json(thread).messages).toHaveLength(1);
    const status = await cli(['hub_status', '--json']);
    expect(json(status).status).toBe('ok');
  });

  it('reports bad flags and bad input in one line', async () => {
    const badNumber = await cli(['check_inbox', '--limit', 'lots']);
    expectFailure(badNumber, EXIT_CODE.invalid_input, /--limit expects a number, got "lots"/);
    const badObject = await cli(['register_agent', '--name', 'x', '--metadata', '[1,2]']);
    expectFailure(badObject, EXIT_CODE.invalid_input, /--metadata expects a JSON object/);
    const badInput = await cli(['list_agents', '--input', 'not json']);
    expectFailure(badInput, EXIT_CODE.invalid_input, /--input expects a JSON object/);
    const hubRejects = await cli(['register_agent', '--input', '{"name":"x","colour":"red"}']);
    expectFailure(hubRejects, EXIT_CODE.invalid_input, /colour/);
    const missing = await cli(['get_agent', '--agent-id', 'ghost']);
    expectFailure(missing, EXIT_CODE.not_found, /ghost/);
    const agentOnly = await cli(['whoami']);
    expectFailure(agentOnly, EXIT_CODE.unauthorized, /whoami/);
  });
});

describe('mistyped commands and flags', () => {
  it('suggest what was meant in one line, not the whole help', async () => {
    // Independent runs, started together.
    const [typo, op, alias, flag, sub, serveFlag, nothingLike] = await Promise.all([
      cli(['snd', 'x', 'hi']),
      cli(['send_mesage', '--to', 'x']),
      cli(['check-inbx']),
      cli(['check_inbox', '--mark-red']),
      cli(['hooks', 'instal']),
      cli(['serve', '--prot', '1']),
      cli(['xyzzy']),
    ]);
    const code = EXIT_CODE.invalid_input;
    expectFailure(typo, code, /unknown command 'snd'\. Did you mean 'send'\? \(see switchboard --help\)$/);
    expectFailure(op, code, /unknown command 'send_mesage'\. Did you mean 'send_message'\?/);
    expectFailure(alias, code, /Did you mean 'check-inbox'\?/);
    expectFailure(
      flag,
      code,
      /unknown option '--mark-red'\. Did you mean '--mark-read'\? \(see switchboard check_inbox --help\)$/,
    );
    expectFailure(sub, code, /Did you mean 'install'\? \(see switchboard hooks --help\)$/);
    expectFailure(serveFlag, code, /unknown option '--prot'\. Did you mean '--port'\?/);
    expectFailure(nothingLike, code, /^switchboard: unknown command 'xyzzy' \(see switchboard --help\)$/);
    for (const run of [typo, op, flag, nothingLike]) expect(run.stdout).toBe('');
  });
});

describe('tail', () => {
  /** Starts `tail`, resolves once it says it is following, and returns a way to wait for its end. */
  function startTail(args: string[], extra: Record<string, string | undefined>) {
    const child = spawn(process.execPath, [BIN, 'tail', ...args], { env: cliEnv(extra), stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const ready = new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (d) => {
        stderr += d;
        if (stderr.includes('tailing ')) resolve();
      });
      child.on('close', () => reject(new Error(`tail ended early: ${stderr}`)));
    });
    const done = new Promise<Run>((resolve) =>
      child.on('close', (code) => {
        clearTimeout(guard);
        resolve({ code, stdout, stderr });
      }),
    );
    return { ready, done, child };
  }

  it('follows an agent’s messages over the WebSocket (--json: raw events)', async () => {
    const watcher = await h.register('watcher');
    const sender = await h.register('tail-sender');
    const tail = startTail(['--json', '--count', '2'], { SWITCHBOARD_TOKEN: watcher.token });
    await tail.ready;
    await h.api('POST', '/api/v1/messages', { token: sender.token, body: { to: watcher.id, body: 'one' } });
    await h.api('POST', '/api/v1/messages', {
      token: sender.token,
      body: { to: watcher.id, body: { two: 2 } },
    });
    const run = await tail.done;
    expect(run.code).toBe(0);
    const events = run.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.map((e) => [e.type, e.message.body])).toEqual([
      ['message', 'one'],
      ['message', { two: 2 }],
    ]);
  });

  it('shows every hub event to the admin over SSE, one readable line each', async () => {
    const a = await h.register('sse-a');
    const b = await h.register('sse-b');
    const tail = startTail(['--admin', '--count', '1'], { SWITCHBOARD_HOME: h.home });
    await tail.ready;
    await h.api('POST', '/api/v1/messages', {
      token: a.token,
      body: { to: b.id, body: 'seen by admin', type: 'ping' },
    });
    const run = await tail.done;
    expect(run.code).toBe(0);
    expect(run.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(run.stdout).toMatch(
      new RegExp(`^\\d\\d:\\d\\d:\\d\\d  sent  ${a.id} → ${b.id} \\[ping\\] seen by admin`),
    );
  });

  it('refuses a bad token in one line', async () => {
    const run = await cli(['tail'], { SWITCHBOARD_TOKEN: 'sb_wrong_wrong_wrong_wrong' });
    expectFailure(run, EXIT_CODE.unauthorized, /token is not valid/);
  });
});
