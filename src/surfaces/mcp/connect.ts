/**
 * Ready-made client configurations for `switchboard connect`: the Claude Code command line, or the
 * JSON snippet a client reads (HTTP with the bearer header, or stdio `switchboard mcp` with
 * SWITCHBOARD_TOKEN for clients without HTTP support). Tool profiles go into the URL
 * (`/mcp?tools=...`) or the bridge's arguments (`switchboard mcp --tools ...`). For Claude Code with
 * `--channel`: the `.mcp.json` entry of the bridge as a channel and the command that launches it.
 */
import { HubError } from '../../core/errors.js';

export const CLIENTS = ['claude-code', 'claude-desktop', 'cursor', 'vscode', 'generic'] as const;
export type ClientKind = (typeof CLIENTS)[number];

export interface ConnectTarget {
  /** The hub's base URL, e.g. http://127.0.0.1:7700 (an HTTP client takes one URL). */
  url: string;
  /** The stdio bridge's SWITCHBOARD_URL when it differs: a cluster's nodes, comma-separated. */
  stdioUrl?: string;
  token: string;
  /** The command that runs the stdio bridge: [executable, ...args]. */
  stdioCommand: [string, ...string[]];
  /** Force the stdio bridge even for clients that speak HTTP. */
  stdio?: boolean;
  /** Tool profiles, comma-separated (already validated); none: all. */
  tools?: string;
  /** Claude Code only: the stdio bridge as a channel that pushes the agent's messages. */
  channel?: boolean;
}

export interface ClientConfig {
  client: ClientKind;
  transport: 'http' | 'stdio';
  /** What to print: a shell command line or a JSON document. */
  text: string;
  /** The same as data (a JSON object, or for claude-code the argv). */
  data: unknown;
  /** The MCP URL an HTTP client is given (with `?tools=` when profiles were chosen). */
  mcpUrl: string;
  /** With a channel: the command that starts Claude Code with it (argv). */
  launch?: string[];
}

/** Starts Claude Code with a channel server from .mcp.json (needed until the channel is allow-listed). */
export const CHANNEL_LAUNCH = ['claude', '--dangerously-load-development-channels', 'server:switchboard'];

export function parseClient(name: string): ClientKind {
  if ((CLIENTS as readonly string[]).includes(name)) return name as ClientKind;
  throw new HubError('invalid_input', `Unknown client "${name}"; supported: ${CLIENTS.join(', ')}`);
}

const SERVER = 'switchboard';

function stdioEntry(t: ConnectTarget) {
  const [command, ...args] = t.stdioCommand;
  if (t.tools && t.tools !== 'all') args.push('--tools', t.tools);
  if (t.channel) args.push('--channel');
  return { command, args, env: { SWITCHBOARD_URL: t.stdioUrl ?? t.url, SWITCHBOARD_TOKEN: t.token } };
}

function mcpUrlOf(t: ConnectTarget): string {
  const url = `${t.url}/mcp`;
  return t.tools && t.tools !== 'all' ? `${url}?tools=${t.tools}` : url;
}

const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `"${s.replace(/(["\\$`])/g, '\\$1')}"`);

export function clientConfig(client: ClientKind, t: ConnectTarget): ClientConfig {
  const mcpUrl = mcpUrlOf(t);
  const header = `Authorization: Bearer ${t.token}`;
  const http = { url: mcpUrl, headers: { Authorization: `Bearer ${t.token}` } };
  const useStdio = t.stdio === true || client === 'claude-desktop';
  const json = (data: unknown): ClientConfig => ({
    client,
    transport: useStdio ? 'stdio' : 'http',
    text: JSON.stringify(data, null, 2),
    data,
    mcpUrl,
  });
  switch (client) {
    case 'claude-code': {
      if (t.channel) {
        const data = { mcpServers: { [SERVER]: stdioEntry(t) } };
        return {
          client,
          transport: 'stdio',
          text: JSON.stringify(data, null, 2),
          data,
          mcpUrl,
          launch: CHANNEL_LAUNCH,
        };
      }
      if (useStdio) {
        const e = stdioEntry(t);
        const argv = [
          'claude',
          'mcp',
          'add',
          SERVER,
          '--env',
          `SWITCHBOARD_URL=${t.stdioUrl ?? t.url}`,
          '--env',
          `SWITCHBOARD_TOKEN=${t.token}`,
          '--',
          e.command,
          ...e.args,
        ];
        return { client, transport: 'stdio', text: argv.map(quote).join(' '), data: argv, mcpUrl };
      }
      const argv = ['claude', 'mcp', 'add', '--transport', 'http', SERVER, mcpUrl, '--header', header];
      return { client, transport: 'http', text: argv.map(quote).join(' '), data: argv, mcpUrl };
    }
    case 'claude-desktop':
      return json({ mcpServers: { [SERVER]: stdioEntry(t) } });
    case 'cursor':
      return json({ mcpServers: { [SERVER]: useStdio ? stdioEntry(t) : http } });
    case 'vscode':
      return json({
        servers: { [SERVER]: useStdio ? { type: 'stdio', ...stdioEntry(t) } : { type: 'http', ...http } },
      });
    case 'generic':
      return json({
        mcpServers: { [SERVER]: useStdio ? { type: 'stdio', ...stdioEntry(t) } : { type: 'http', ...http } },
      });
  }
}
