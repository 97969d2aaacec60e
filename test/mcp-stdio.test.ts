/**
 * `switchboard mcp`: the stdio bridge spawned as a real process (`node bin/switchboard.js mcp`, needs
 * the build) and driven by the official SDK stdio client, against a real hub over REST.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { describe, expect, it } from 'vitest';
import { channels } from '../src/bus/bus.js';
import { catalog } from '../src/ops/catalog.js';
import { profileOf } from '../src/ops/profiles.js';
import { hubForFile } from './helpers/hub.js';
import { structured, textOf } from './mcp-clients.js';

const BIN = join(import.meta.dirname, '..', 'bin', 'switchboard.js');

const clients: Client[] = [];
const errors: Error[] = [];

const t = hubForFile(
  {},
  {
    beforeClose: async () => {
      await Promise.all(clients.map((c) => c.close().catch(() => {})));
    },
  },
);

const opNames = (pred: (op: (typeof catalog)[number]) => boolean) =>
  catalog
    .filter(pred)
    .map((op) => op.name)
    .sort();

async function listed(client: Client): Promise<string[]> {
  return (await client.listTools()).tools.map((tool) => tool.name).sort();
}

async function bridge(
  env: Record<string, string>,
  args: string[] = [],
): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'mcp', ...args],
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const client = new Client({ name: 'stdio-test', version: '1.0.0' });
  client.onerror = (err) => errors.push(err);
  await client.connect(transport);
  clients.push(client);
  return { client, stderr: () => stderr };
}

async function waiterBlocked(agentId: string): Promise<void> {
  while (t.hub.bus.listenerCount(channels.agent(agentId)) === 0) await new Promise((r) => setTimeout(r, 10));
}

describe('switchboard mcp (stdio bridge)', () => {
  it('lists the public tools; register binds the connection and grows the list; send and wait go through the hub', async () => {
    const { client } = await bridge({ SWITCHBOARD_URL: t.url, SWITCHBOARD_HOME: t.home });
    expect(await listed(client)).toEqual(opNames((op) => op.access === 'public'));

    const before = await client.callTool({ name: 'whoami', arguments: {} });
    expect(before.isError).toBe(true);
    expect(textOf(before)).toMatch(/^unauthorized: .*SWITCHBOARD_TOKEN/);

    const changed = new Promise<void>((resolve) =>
      client.setNotificationHandler('notifications/tools/list_changed', () => resolve()),
    );
    const me = structured(
      await client.callTool({ name: 'register_agent', arguments: { name: 'stdio-agent' } }),
    );
    expect(me).not.toHaveProperty('token');
    expect(me.session_bound).toBe(true);
    await changed;
    expect(await listed(client)).toEqual(opNames((op) => op.access !== 'admin'));
    expect(structured(await client.callTool({ name: 'whoami', arguments: {} })).agent.agent_id).toBe(
      me.agent_id,
    );

    const peer = await t.register('rest-peer');
    const sent = structured(
      await client.callTool({ name: 'send_message', arguments: { to: peer.id, body: 'over stdio' } }),
    );
    const inbox = await t.api('GET', '/api/v1/messages', { token: peer.token });
    expect(
      inbox.body.messages.map((m: { message_id: string; from: string }) => [m.message_id, m.from]),
    ).toEqual([[sent.message_id, me.agent_id]]);

    const waiting = client.callTool(
      { name: 'wait_for_messages', arguments: { timeout_seconds: 120 } },
      { timeout: 150_000 },
    );
    await waiterBlocked(me.agent_id);
    const reply = await t.api('POST', '/api/v1/messages', {
      token: peer.token,
      body: { to: me.agent_id, body: 'back to stdio' },
    });
    const woke = structured(await waiting);
    expect(woke.timed_out).toBe(false);
    expect(woke.messages.map((m: { message_id: string }) => m.message_id)).toEqual([reply.body.message_id]);
    expect(errors).toEqual([]);
  });

  it('acts as the agent of SWITCHBOARD_TOKEN and reports hub errors as tool errors', async () => {
    const agent = await t.register('env-token-agent');
    const { client } = await bridge({
      SWITCHBOARD_URL: t.url,
      SWITCHBOARD_HOME: t.home,
      SWITCHBOARD_TOKEN: agent.token,
    });
    expect(structured(await client.callTool({ name: 'whoami', arguments: {} })).agent.agent_id).toBe(
      agent.id,
    );
    const missing = await client.callTool({ name: 'get_agent', arguments: { agent_id: 'no-such-agent' } });
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toMatch(/^not_found: /);
    const bad = await client.callTool({
      name: 'send_message',
      arguments: { to: agent.id, importance: 'extreme' },
    });
    expect(textOf(bad)).toMatch(/^invalid_input: .*importance/);
    expect(errors).toEqual([]);
  });

  it('keeps an error’s code and details (a stale set_context conflict)', async () => {
    const agent = await t.register('stdio-conflict');
    await t.api('PUT', '/api/v1/context/global/stdio-key', { token: agent.token, body: { value: 'first' } });
    const { client } = await bridge({
      SWITCHBOARD_URL: t.url,
      SWITCHBOARD_HOME: t.home,
      SWITCHBOARD_TOKEN: agent.token,
    });
    const stale = await client.callTool({
      name: 'set_context',
      arguments: { scope: 'global', key: 'stdio-key', value: 'late', expected_version: 0 },
    });
    expect(stale.isError).toBe(true);
    expect(stale.structuredContent).toMatchObject({
      error: { code: 'conflict', details: { current_version: 1, current_value: 'first' } },
    });
    expect(textOf(stale)).toContain('"current_version":1');
  });

  it('lists by caller (agent, admin) and by --tools / SWITCHBOARD_TOOLS; refuses tools outside them', async () => {
    const agent = await t.register('stdio-profiles');
    const env = { SWITCHBOARD_URL: t.url, SWITCHBOARD_HOME: t.home };
    const asAgent = await bridge({ ...env, SWITCHBOARD_TOKEN: agent.token });
    expect(await listed(asAgent.client)).toEqual(opNames((op) => op.access !== 'admin'));
    const asAdmin = await bridge({ ...env, SWITCHBOARD_TOKEN: t.adminToken });
    expect(await listed(asAdmin.client)).toEqual(opNames(() => true));

    const messaging = opNames((op) => op.access !== 'admin' && ['messaging', 'core'].includes(profileOf(op)));
    const viaFlag = await bridge({ ...env, SWITCHBOARD_TOKEN: agent.token }, ['--tools', 'messaging']);
    expect(await listed(viaFlag.client)).toEqual(messaging);
    const viaEnv = await bridge({ ...env, SWITCHBOARD_TOKEN: agent.token, SWITCHBOARD_TOOLS: 'messaging' });
    expect(await listed(viaEnv.client)).toEqual(messaging);
    const refused = await viaEnv.client.callTool({ name: 'create_task', arguments: { title: 'x' } });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/^forbidden: create_task is in the "coordination" tool profile/);
    expect(errors).toEqual([]);
  });

  it('refuses an unknown --tools profile at start, listing the allowed ones', async () => {
    const out = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [BIN, 'mcp', '--tools', 'messaging,chat'],
        { env: { PATH: process.env.PATH ?? '', SWITCHBOARD_URL: t.url, SWITCHBOARD_HOME: t.home } },
        (err, _stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stderr }),
      );
    });
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('"chat"');
    expect(out.stderr).toContain(
      'allowed: core, messaging, coordination, instances, gateway, analytics, all',
    );
  });

  it(
    'starts a hub in the background when none answers, logging to the data directory',
    {
      timeout: 60_000,
    },
    async () => {
      const home = mkdtempSync(join(tmpdir(), 'switchboard-stdio-'));
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      try {
        const { client, stderr } = await bridge({ SWITCHBOARD_URL: url, SWITCHBOARD_HOME: home });
        const status = structured(await client.callTool({ name: 'hub_status', arguments: {} }));
        expect(status.status).toBe('ok');
        expect(existsSync(join(home, 'hub.log'))).toBe(true);
        expect(stderr()).toContain(
          `no hub answers at ${url}; starting one in the background (log: ${join(home, 'hub.log')})`,
        );
        expect(stderr()).toMatch(/started a hub at \S+ in the background \(pid \d+, log: .*switchboard stop/);
        const health = await fetch(`${url}/health`);
        expect(health.status).toBe(200);

        // the background hub dies: the call in flight reports it, the next call starts a new one
        const firstPid = hubPid(home);
        process.kill(firstPid, 'SIGKILL');
        while (await isAlive(firstPid)) await new Promise((r) => setTimeout(r, 50));
        const lost = await client.callTool({ name: 'hub_status', arguments: {} });
        expect(lost.isError).toBe(true);
        expect(textOf(lost)).toMatch(/^unavailable: .*starts one in the background/);
        expect(structured(await client.callTool({ name: 'hub_status', arguments: {} })).status).toBe('ok');
        expect(hubPid(home)).not.toBe(firstPid);
      } finally {
        const pidFile = join(home, 'hub.pid');
        if (existsSync(pidFile)) {
          const pid = hubPid(home);
          try {
            process.kill(pid, 'SIGTERM');
            while (await isAlive(pid)) await new Promise((r) => setTimeout(r, 50));
          } catch {
            /* already gone */
          }
        }
        rmSync(home, { recursive: true, force: true });
      }
    },
  );
});

/** The pid on the first line of the hub's pid file. */
const hubPid = (home: string) => Number(readFileSync(join(home, 'hub.pid'), 'utf8').split('\n')[0]);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function isAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
