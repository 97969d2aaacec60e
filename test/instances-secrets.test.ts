/**
 * An instance's process never sees the hub's secrets, and no token reaches instance output. The hub
 * runs in a child process with secrets in its environment (as gateway `${env:…}` secrets would be):
 * an agent may not template `{{env.*}}` into a script, a child's environment is allow-listed (its own
 * token, PATH, no hub secret), and neither a CLI stand-in nor a program that prints its token leaves
 * a token in the answers, the output events or the database.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub } from './helpers/hub.js';
import { killGroupQuietly } from './helpers/instances.js';

const home = mkdtempSync(join(tmpdir(), 'switchboard-secrets-'));
const SECRET = `my-secret-${randomBytes(8).toString('hex')}`;
const OPENAI = `sk-openai-${randomBytes(8).toString('hex')}`;
const ADMIN = `admin-${randomBytes(16).toString('hex')}`;
/** Given to instances on purpose, by an instances.env reference: they get it, their output never shows it. */
const GIVEN = `given-${randomBytes(8).toString('hex')}`;
let hub: ChildProcess;
let url = '';
const pgids: number[] = [];

beforeAll(async () => {
  const config = join(home, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({ instances: { env: { GIVEN_KEY: '${env:GIVEN_SOURCE}', PLAIN_EXTRA: 'plain' } } }),
  );
  const args = ['bin/switchboard.js', 'serve', '--port', '0', '--home', home, '--config', config];
  hub = spawn(process.execPath, args, {
    env: {
      GIVEN_SOURCE: GIVEN,
      ...process.env,
      LOG_LEVEL: 'silent',
      MY_SECRET: SECRET,
      OPENAI_API_KEY: OPENAI,
      SWITCHBOARD_ADMIN_TOKEN: ADMIN,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  url = await new Promise<string>((resolve, reject) => {
    hub.once('exit', (code) => reject(new Error(`hub exited with ${code}`)));
    createInterface({ input: hub.stdout! }).once('line', (line) => {
      const m = /listening on (\S+)/.exec(line);
      if (m) resolve(m[1]!);
      else reject(new Error(`unexpected first line: ${line}`));
    });
  });
});

afterAll(() => {
  hub?.kill('SIGKILL');
  for (const g of pgids) killGroupQuietly(g);
  rmSync(home, { recursive: true, force: true });
});

async function api(method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function register(name: string): Promise<{ id: string; token: string }> {
  const res = await fetch(`${url}/api/v1/agents/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  const body = (await res.json()) as any;
  return { id: body.agent_id, token: body.token };
}

/** Everything the hub's database holds, as bytes (the main file and its write-ahead log). */
function storedBytes(): string {
  const db = join(home, 'switchboard.db');
  return [db, `${db}-wal`]
    .filter((f) => existsSync(f))
    .map((f) => readFileSync(f).toString('latin1'))
    .join('');
}

/** The agent token the hub gave an instance (from its private MCP config). */
function instanceToken(instanceId: string): string {
  const cfg = JSON.parse(readFileSync(join(home, 'instances', instanceId, 'mcp.json'), 'utf8'));
  return cfg.mcpServers.switchboard.headers.Authorization.slice('Bearer '.length);
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe('agents may not read the hub environment through a script', () => {
  it('refuses {{env.*}} anywhere in an agent’s script with 400 naming the field, and stores nothing', async () => {
    const attacker = await register('attacker');
    const before = await api('GET', '/api/v1/agents', ADMIN);
    const attempts = [
      {
        path: 'script.turns.0.reply.template',
        script: { turns: [{ reply: { template: '{{env.MY_SECRET}}' } }] },
      },
      {
        path: 'script.default.tool_calls.0.arguments.body.text',
        script: {
          default: {
            tool_calls: [
              {
                tool: 'send_message',
                arguments: { to: attacker.id, body: { text: 'x {{ env.MY_SECRET }}' } },
              },
            ],
          },
        },
      },
    ];
    for (const adapter of ['scripted', 'codex', 'gemini']) {
      for (const a of attempts) {
        const res = await api('POST', '/api/v1/instances', attacker.token, { adapter, script: a.script });
        expect(res.status, `${adapter} ${a.path}`).toBe(400);
        expect(res.body.error.message).toContain(a.path);
        expect(res.body.error.message).toContain('{{env.MY_SECRET}}');
      }
    }
    // Through a team too.
    const team = await api('POST', '/api/v1/teams', attacker.token, {
      members: [{ role: 'general', adapter: 'scripted', script: attempts[0]!.script }],
    });
    expect(team.status).toBe(400);
    expect(team.body.error.message).toContain('script.turns.0.reply.template');

    expect((await api('GET', '/api/v1/instances', ADMIN)).body.instances ?? []).toEqual([]);
    expect((await api('GET', '/api/v1/agents', ADMIN)).body.total).toBe(before.body.total);
    expect(storedBytes()).not.toContain(SECRET);
  });
});

describe('an instance process gets an allow-listed environment', () => {
  it('has PATH and its own token, and none of the hub’s secrets; its printed token is redacted', async () => {
    // Prints its whole environment (values too) and a digest of its token on its first turn.
    const program = [
      "require('readline').createInterface({ input: process.stdin }).once('line', () => {",
      "  const t = process.env.SWITCHBOARD_TOKEN || '';",
      "  const sha = (v) => require('crypto').createHash('sha256').update(v || '').digest('hex');",
      '  console.log(JSON.stringify({ digest: sha(t), given: sha(process.env.GIVEN_KEY), env: process.env }));',
      '  process.exit(0);',
      '});',
    ].join('\n');
    const spawned = await api('POST', '/api/v1/instances', ADMIN, {
      adapter: 'command',
      command: [process.execPath, '-e', program],
    });
    expect(spawned.status).toBe(201);
    pgids.push(spawned.body.pid);
    const id = spawned.body.instance_id;
    const token = instanceToken(id);

    const turn = await api('POST', `/api/v1/instances/${id}/send`, ADMIN, { message: 'env?' });
    expect(turn.status).toBe(200);
    expect(turn.body.status).toBe('completed');
    const printed = JSON.parse(turn.body.text);
    const env = printed.env as Record<string, string>;
    expect(env.PATH).toBe(process.env.PATH);
    expect(printed.digest).toBe(sha256(token));
    expect(printed.given).toBe(sha256(GIVEN));
    expect(env).toMatchObject({
      SWITCHBOARD_URL: url,
      SWITCHBOARD_INSTANCE_ID: id,
      SWITCHBOARD_AGENT_ID: spawned.body.agent_id,
      // The program printed its token and the secret it was given; the hub kept both out of the output.
      SWITCHBOARD_TOKEN: '[redacted]',
      GIVEN_KEY: '[redacted]',
      PLAIN_EXTRA: 'plain',
    });
    for (const name of [
      'MY_SECRET',
      'SWITCHBOARD_ADMIN_TOKEN',
      'OPENAI_API_KEY',
      'LOG_LEVEL',
      'GIVEN_SOURCE',
    ])
      expect(env[name], name).toBeUndefined();

    const output = await api('GET', `/api/v1/instances/${id}/output`, ADMIN);
    const all = JSON.stringify(output.body) + JSON.stringify(turn.body) + storedBytes();
    for (const secret of [SECRET, OPENAI, ADMIN, GIVEN, token]) expect(all).not.toContain(secret);
  });

  it('an instances.env reference the hub cannot resolve refuses the spawn, naming it, before anything is stored', async () => {
    const t = await startTestHub({
      instances: { env: { API_KEY: '${env:SWITCHBOARD_TEST_UNSET_VARIABLE}' } },
    });
    try {
      const agent = await t.register('someone');
      const res = await t.api('POST', '/api/v1/instances', {
        token: agent.token,
        body: { adapter: 'scripted', script: { default: { reply: 'hi' } } },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain(
        'env.API_KEY refers to ${env:SWITCHBOARD_TEST_UNSET_VARIABLE}',
      );
      expect((await t.api('GET', '/api/v1/instances', { token: t.adminToken })).body.total).toBe(0);
      expect((await t.api('GET', '/api/v1/agents', { token: t.adminToken })).body.total).toBe(1);
    } finally {
      await t.close();
    }
  });
});

describe('no token reaches the output of a CLI stand-in', () => {
  it('a codex stand-in asked to print its token prints none, in the answer, the events or the store', async () => {
    const spawned = await api('POST', '/api/v1/instances', ADMIN, {
      adapter: 'codex',
      script: {
        default: {
          tool_calls: [{ tool: 'whoami' }],
          reply: {
            template: 'token={{env.SWITCHBOARD_TOKEN}} secret={{env.MY_SECRET}} path-set={{env.HOME}}',
          },
        },
      },
    });
    expect(spawned.status).toBe(201);
    const id = spawned.body.instance_id;
    const token = instanceToken(id);
    const turn = await api('POST', `/api/v1/instances/${id}/send`, ADMIN, { message: 'who are you?' });
    expect(turn.body.status).toBe('completed');
    // The stand-in's token variable reads as empty, and the hub's secret is not in its environment.
    expect(turn.body.text).toBe(`token= secret= path-set=${process.env.HOME ?? ''}`);
    const output = await api('GET', `/api/v1/instances/${id}/output?limit=1000`, ADMIN);
    expect(output.body.events.some((e: any) => e.kind === 'tool_result' && !e.is_error)).toBe(true);
    const all = JSON.stringify(output.body) + JSON.stringify(turn.body) + storedBytes();
    for (const secret of [token, ADMIN, SECRET, OPENAI]) expect(all).not.toContain(secret);
    await api('DELETE', `/api/v1/instances/${id}`, ADMIN);
  });
});
