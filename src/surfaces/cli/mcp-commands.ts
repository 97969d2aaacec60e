/** `switchboard mcp` (stdio bridge) and `switchboard connect` (register an agent, print client configuration). */
import type { Command } from 'commander';
import { DEFAULT_URL, HubUrls } from '../../client/failover.js';
import { HubClient } from '../../client/hub-client.js';
import { HubError } from '../../core/errors.js';
import { describeSelection, PROFILE_CHOICES, parseToolProfiles } from '../../ops/profiles.js';
import { CLIENTS, type ClientKind, clientConfig, parseClient } from '../mcp/connect.js';
import { cliEntry } from '../mcp/stdio/cli-entry.js';
import { runMcpStdio } from '../mcp/stdio/main.js';
import { hubReadiness } from '../mcp/stdio/readiness.js';

interface ConnectFlags {
  name: string;
  capabilities?: string;
  role?: string;
  project?: string;
  description?: string;
  url?: string;
  stdio?: boolean;
  tools?: string;
  channel?: boolean;
  permissionRelay?: boolean;
  json?: boolean;
}

const WHERE: Record<ClientKind, string> = {
  'claude-code': 'Run this to add Switchboard to Claude Code:',
  'claude-desktop':
    'Add this to claude_desktop_config.json (Settings > Developer > Edit Config), then restart Claude Desktop:',
  cursor: 'Add this to ~/.cursor/mcp.json (or .cursor/mcp.json in a project):',
  vscode: 'Add this to .vscode/mcp.json:',
  generic: "Add this to your MCP client's configuration:",
};

/** What `connect claude-code --channel` prints: the .mcp.json entry, then the launch command. */
function channelText(entry: string, launch: string[]): string {
  return [
    'Add this to .mcp.json in your project (merge it into "mcpServers" if the file exists):',
    entry,
    '',
    'Then start Claude Code with Switchboard as its channel (Claude Code 2.1.80 or later):',
    `  ${launch.join(' ')}`,
    '',
    'Messages to this agent then arrive in the session by themselves. Once the channel is on your',
    "organization's allow-list, `claude --channels` replaces the development flag.",
    '',
  ].join('\n');
}

async function connect(
  clientName: string,
  flags: ConnectFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const client = parseClient(clientName);
  if ((flags.channel || flags.permissionRelay) && client !== 'claude-code')
    throw new HubError(
      'invalid_input',
      `${flags.channel ? '--channel' : '--permission-relay'} is for claude-code: other clients have no channels`,
    );
  const tools =
    flags.tools === undefined ? undefined : describeSelection(parseToolProfiles(flags.tools, '--tools'));
  // A cluster's nodes (`--url a,b`): the stdio bridge gets them all; an HTTP client takes one URL, the
  // node that answered (put a load balancer in front of the nodes for HTTP clients to fail over).
  const urls = new HubUrls(flags.url ?? (env.SWITCHBOARD_URL || DEFAULT_URL));
  const note = (line: string) => process.stderr.write(`${line}\n`);
  await hubReadiness(urls, env, note).ready();
  const url = urls.current;
  const capabilities = flags.capabilities
    ?.split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  const hub = new HubClient({ url: urls, token: env.SWITCHBOARD_ADMIN_TOKEN || undefined });
  const reg = await hub.call('register_agent', {
    name: flags.name,
    ...(capabilities?.length ? { capabilities } : {}),
    ...(flags.role ? { role: flags.role } : {}),
    ...(flags.project ? { project: flags.project } : {}),
    ...(flags.description ? { description: flags.description } : {}),
  });
  if (!reg.token) throw new HubError('internal', 'The hub registered the agent but returned no token');
  const config = clientConfig(client, {
    url,
    ...(urls.several ? { stdioUrl: urls.all.join(',') } : {}),
    token: reg.token,
    stdioCommand: [
      process.execPath,
      cliEntry(),
      'mcp',
      ...(flags.permissionRelay ? ['--permission-relay'] : []),
    ],
    stdio: flags.stdio || flags.permissionRelay,
    tools,
    channel: flags.channel || flags.permissionRelay,
  });
  if (flags.json) {
    const out = {
      client,
      transport: config.transport,
      agent_id: reg.agent_id,
      name: flags.name,
      mcp_url: config.mcpUrl,
      config: config.data,
      ...(config.launch ? { launch: config.launch } : {}),
    };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return;
  }
  if (config.launch) {
    note(`Registered agent ${reg.agent_id} (${flags.name}).`);
    process.stdout.write(channelText(config.text, config.launch));
    return;
  }
  note(`Registered agent ${reg.agent_id} (${flags.name}). ${WHERE[client]}`);
  process.stdout.write(`${config.text}\n`);
}

export function registerMcpCommands(program: Command): void {
  program
    .command('mcp')
    .description(
      'Run an MCP stdio server bridged to the hub at $SWITCHBOARD_URL (starts one in the background if none answers)',
    )
    .option(
      '--tools <profiles>',
      `tool profiles to list, comma-separated (${PROFILE_CHOICES.join(', ')}; default all, or $SWITCHBOARD_TOOLS)`,
    )
    .option(
      '--channel',
      'be a Claude Code channel: push the agent’s messages into the session (or $SWITCHBOARD_CHANNEL=1)',
    )
    .option(
      '--permission-relay',
      'also relay the Claude Code session’s permission prompts to the hub’s approvals queue (implies --channel; or $SWITCHBOARD_PERMISSION_RELAY=1)',
    )
    .action((flags: { tools?: string; channel?: boolean; permissionRelay?: boolean }) =>
      runMcpStdio(process.env, flags),
    );

  program
    .command('connect <client>')
    .description(
      `Register an agent and print ready-made MCP client configuration for it (${CLIENTS.join(', ')})`,
    )
    .requiredOption('--name <name>', 'the agent name')
    .option('--capabilities <list>', 'comma-separated capabilities, e.g. review,typescript')
    .option('--role <role>', 'the agent role')
    .option('--project <project>', 'the project the agent belongs to (default "default")')
    .option('--description <text>', 'what the agent does')
    .option(
      '--url <url>',
      `hub URL, or a cluster's URLs comma-separated (default $SWITCHBOARD_URL or ${DEFAULT_URL})`,
    )
    .option('--stdio', 'configure the stdio bridge (`switchboard mcp`) instead of HTTP')
    .option(
      '--channel',
      'claude-code: the stdio bridge as a channel that pushes messages into the session (prints .mcp.json and the launch command)',
    )
    .option(
      '--tools <profiles>',
      `list only these tool profiles, comma-separated (${PROFILE_CHOICES.join(', ')}; default all)`,
    )
    .option(
      '--permission-relay',
      'stdio bridge that relays the session’s permission prompts to the hub (Claude Code channels)',
    )
    .option('--json', 'print machine-readable JSON')
    .action((client: string, flags: ConnectFlags) => connect(client, flags));
}
