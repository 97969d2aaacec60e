/**
 * The scripted agent's MCP client, over Streamable HTTP (`url`) or stdio (`command`, `args`, `env`: a
 * child process, as Claude Code runs its stdio servers and channels). Its servers come from a
 * Claude-style --mcp-config file, or directly by name (codex's `-c mcp_servers.*` overrides, gemini's
 * settings).
 */
import { readFileSync } from 'node:fs';
import type { Client } from '@modelcontextprotocol/client';
import { hideSecret } from './common.js';
import { secretEnvName } from './template.js';

export interface McpServerEntry {
  url?: string;
  headers?: Record<string, string>;
  /** A stdio server: the program, its arguments, its extra environment and working directory. */
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Why this server cannot be used (e.g. its token variable is not set): every call fails with it. */
  error?: string;
}

export interface ToolCallResult {
  server: string;
  /** The result's text: its structured content as JSON when it has some, else its text blocks. */
  text: string;
  isError: boolean;
  /** The result as the server sent it (null when the call itself failed). */
  content: unknown[] | null;
  structuredContent: unknown;
  /** Whether the call failed before a result (connection, unknown server). */
  transportError: boolean;
}

export class McpTools {
  private readonly servers: Record<string, McpServerEntry>;
  private readonly clients = new Map<string, Promise<Client>>();

  /**
   * A --mcp-config file (`{mcpServers: {name: {url, headers} | {command, args, env}}}`), the servers
   * themselves, or none. `prepare` sees each client before it connects (to register notification
   * handlers that must not miss the server's first words).
   */
  constructor(
    source: string | Record<string, McpServerEntry> | undefined,
    private readonly prepare?: (server: string, client: Client) => void,
  ) {
    if (source === undefined) {
      this.servers = {};
    } else if (typeof source === 'string') {
      const parsed = JSON.parse(readFileSync(source, 'utf8')) as {
        mcpServers?: Record<string, McpServerEntry>;
      };
      this.servers = parsed.mcpServers ?? {};
    } else {
      this.servers = source;
    }
    // Their tokens are the stand-in's own credentials: no line it prints may carry them.
    for (const entry of Object.values(this.servers))
      for (const value of Object.values(entry?.headers ?? {}))
        if (typeof value === 'string') hideSecret(/^Bearer\s+(.+)$/i.exec(value)?.[1]);
    for (const entry of Object.values(this.servers))
      for (const [name, value] of Object.entries(entry?.env ?? {}))
        if (typeof value === 'string' && secretEnvName(name)) hideSecret(value);
  }

  /** The names of the configured servers. */
  names(): string[] {
    return Object.keys(this.servers);
  }

  /** The connected client of a configured server (connecting it on first use). */
  connect(name: string): Promise<Client> {
    return this.client(name).client;
  }

  /** The server a call goes to: the one named, else the first configured (else `switchboard`). */
  serverName(name?: string): string {
    return name ?? Object.keys(this.servers)[0] ?? 'switchboard';
  }

  private client(name: string | undefined): { server: string; client: Promise<Client> } {
    const server = name ?? Object.keys(this.servers)[0];
    const entry = server ? this.servers[server] : undefined;
    if (entry?.error) throw new Error(entry.error);
    if (!server || (!entry?.url && !entry?.command))
      throw new Error(`no MCP server ${name ?? ''} with a url or a command is configured`);
    let client = this.clients.get(server);
    if (!client) {
      client = open(server, entry, this.prepare);
      this.clients.set(server, client);
    }
    return { server, client };
  }

  /** Calls a tool; answers with its text (or the error text) and whether it failed. */
  async call(tool: string, args: Record<string, unknown>, serverName?: string): Promise<ToolCallResult> {
    let server = serverName ?? '';
    try {
      const picked = this.client(serverName);
      server = picked.server;
      const result = await (await picked.client).callTool({ name: tool, arguments: args });
      const content = (result.content ?? []) as Array<{ type: string; text?: string }>;
      const text =
        result.structuredContent !== undefined && !result.isError
          ? JSON.stringify(result.structuredContent)
          : content.map((c) => c.text ?? '').join('\n');
      return {
        server,
        text,
        isError: result.isError === true,
        content,
        structuredContent: result.structuredContent ?? null,
        transportError: false,
      };
    } catch (err) {
      return {
        server: server || this.serverName(serverName),
        text: (err as Error).message,
        isError: true,
        content: null,
        structuredContent: null,
        transportError: true,
      };
    }
  }

  async close(): Promise<void> {
    for (const c of this.clients.values()) await (await c.catch(() => null))?.close().catch(() => {});
  }
}

/**
 * Connects to one server. The SDK is loaded on the first call: a turn without tool calls starts
 * faster (once per turn for codex, gemini).
 */
async function open(
  server: string,
  entry: McpServerEntry,
  prepare?: (server: string, client: Client) => void,
): Promise<Client> {
  const sdk = await import('@modelcontextprotocol/client');
  const c = new sdk.Client({ name: 'switchboard-scripted-agent', version: '1.0.0' }, {});
  prepare?.(server, c);
  if (entry.url) {
    const headers = entry.headers ?? {};
    await c.connect(new sdk.StreamableHTTPClientTransport(new URL(entry.url), { requestInit: { headers } }));
    return c;
  }
  const stdio = await import('@modelcontextprotocol/client/stdio');
  // A subclass negotiates the protocol on the server's own process: the SDK's base transport would
  // first spawn a disposable sibling to probe, and a channel server must run once.
  class InPlaceStdioTransport extends stdio.StdioClientTransport {}
  await c.connect(
    new InPlaceStdioTransport({
      command: entry.command!,
      args: entry.args ?? [],
      env: { ...stdio.getDefaultEnvironment(), ...(entry.env ?? {}) },
      ...(entry.cwd ? { cwd: entry.cwd } : {}),
      stderr: 'inherit',
    }),
  );
  return c;
}
