/** `switchboard connect <client>`: registers an agent and prints configuration that really connects. */
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { hubForFile } from './helpers/hub.js';
import { connect2026, structured } from './mcp-clients.js';

const BIN = join(import.meta.dirname, '..', 'bin', 'switchboard.js');

const t = hubForFile();

function cli(args: string[]) {
  return runCli(args, { SWITCHBOARD_HOME: t.home, LOG_LEVEL: 'silent' });
}

describe('switchboard connect', () => {
  it('claude-code: prints the exact `claude mcp add` line, and its header works against /mcp', async () => {
    const out = await cli([
      'connect',
      'claude-code',
      '--name',
      'cc-agent',
      '--capabilities',
      'review, typescript',
      '--role',
      'reviewer',
      '--url',
      t.url,
    ]);
    expect(out.code).toBe(0);
    const line = out.stdout.trim();
    const match =
      /^claude mcp add --transport http switchboard (\S+) --header "Authorization: Bearer (sb_[\w-]+)"$/.exec(
        line,
      );
    expect(match, line).not.toBeNull();
    expect(match![1]).toBe(`${t.url}/mcp`);
    expect(out.stderr).toMatch(/Registered agent cc-agent-\S+ \(cc-agent\)/);

    const client = await connect2026(t.url, { token: match![2] });
    const me = structured(await client.callTool({ name: 'whoami', arguments: {} }));
    expect(me.agent).toMatchObject({
      name: 'cc-agent',
      role: 'reviewer',
      capabilities: ['review', 'typescript'],
    });
    await client.close();
  });

  it('cursor --json: machine-readable output with the mcpServers HTTP snippet', async () => {
    const out = await cli([
      'connect',
      'cursor',
      '--name',
      'cursor-agent',
      '--project',
      'web',
      '--url',
      t.url,
      '--json',
    ]);
    expect(out.code).toBe(0);
    const parsed = JSON.parse(out.stdout);
    expect(parsed).toMatchObject({
      client: 'cursor',
      transport: 'http',
      name: 'cursor-agent',
      mcp_url: `${t.url}/mcp`,
    });
    const server = parsed.config.mcpServers.switchboard;
    expect(server.url).toBe(`${t.url}/mcp`);
    expect(server.headers.Authorization).toMatch(/^Bearer sb_/);
    const agent = await t.api('GET', `/api/v1/agents/${parsed.agent_id}`);
    expect(agent.body.agent.project).toBe('web');
  });

  it('claude-desktop: a stdio `switchboard mcp` entry with SWITCHBOARD_URL and SWITCHBOARD_TOKEN', async () => {
    const out = await cli(['connect', 'claude-desktop', '--name', 'desktop-agent', '--url', t.url]);
    expect(out.code).toBe(0);
    const entry = JSON.parse(out.stdout).mcpServers.switchboard;
    expect(entry.command).toBe(process.execPath);
    expect(entry.args).toEqual([BIN, 'mcp']);
    expect(entry.env.SWITCHBOARD_URL).toBe(t.url);
    const whoami = await t.api('GET', '/api/v1/agents/me', { token: entry.env.SWITCHBOARD_TOKEN });
    expect(whoami.body.agent.name).toBe('desktop-agent');
  });

  it('generic and vscode print HTTP entries; --stdio switches to the bridge', async () => {
    const generic = JSON.parse((await cli(['connect', 'generic', '--name', 'g', '--url', t.url])).stdout);
    expect(generic.mcpServers.switchboard).toMatchObject({ type: 'http', url: `${t.url}/mcp` });
    const vscode = JSON.parse((await cli(['connect', 'vscode', '--name', 'v', '--url', t.url])).stdout);
    expect(vscode.servers.switchboard).toMatchObject({ type: 'http', url: `${t.url}/mcp` });
    const stdio = JSON.parse(
      (await cli(['connect', 'generic', '--name', 's', '--url', t.url, '--stdio'])).stdout,
    );
    expect(stdio.mcpServers.switchboard).toMatchObject({ type: 'stdio', args: [BIN, 'mcp'] });
  });

  it('--tools puts the profiles into the printed URL (and the bridge arguments); that URL lists only them', async () => {
    const out = await cli([
      'connect',
      'cursor',
      '--name',
      'lean',
      '--url',
      t.url,
      '--tools',
      'messaging, coordination',
      '--json',
    ]);
    expect(out.code).toBe(0);
    const parsed = JSON.parse(out.stdout);
    const server = parsed.config.mcpServers.switchboard;
    expect(server.url).toBe(`${t.url}/mcp?tools=messaging,coordination`);
    expect(parsed.mcp_url).toBe(server.url);
    const token = server.headers.Authorization.replace('Bearer ', '');
    const client = new Client({ name: 'lean', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(server.url), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    try {
      const names = (await client.listTools()).tools.map((tool) => tool.name);
      expect(names).toContain('send_message');
      expect(names).toContain('create_task');
      expect(names).not.toContain('spawn_instance');
      expect(names).not.toContain('hub_status');
    } finally {
      await client.close();
    }

    const cc = await cli([
      'connect',
      'claude-code',
      '--name',
      'lean-cc',
      '--url',
      t.url,
      '--tools',
      'messaging',
    ]);
    expect(cc.stdout).toContain(`"${t.url}/mcp?tools=messaging"`);
    const stdio = JSON.parse(
      (
        await cli([
          'connect',
          'generic',
          '--name',
          'lean-s',
          '--url',
          t.url,
          '--stdio',
          '--tools',
          'instances',
        ])
      ).stdout,
    );
    expect(stdio.mcpServers.switchboard.args).toEqual([BIN, 'mcp', '--tools', 'instances']);
  });

  it('--tools with an unknown profile fails listing the allowed ones, registering nothing', async () => {
    const before = (await t.api('GET', '/api/v1/agents')).body.total;
    const out = await cli(['connect', 'cursor', '--name', 'x', '--url', t.url, '--tools', 'messaging,chat']);
    expect(out.code).toBe(2);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain('"chat"');
    expect(out.stderr).toContain(
      'allowed: core, messaging, coordination, instances, gateway, analytics, all',
    );
    expect((await t.api('GET', '/api/v1/agents')).body.total).toBe(before);
  });

  it('an unknown client fails with a one-line reason listing the supported ones, registering nothing', async () => {
    const before = (await t.api('GET', '/api/v1/agents')).body.total;
    const out = await cli(['connect', 'notepad', '--name', 'x', '--url', t.url]);
    expect(out.code).not.toBe(0);
    expect(out.stdout).toBe('');
    const lines = out.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('Unknown client "notepad"');
    expect(lines[0]).toContain('claude-code, claude-desktop, cursor, vscode, generic');
    expect((await t.api('GET', '/api/v1/agents')).body.total).toBe(before);
  });
});
