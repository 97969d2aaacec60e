/** The scripted agent's MCP client: the servers of its --mcp-config file, over Streamable HTTP. */
import { readFileSync } from 'node:fs';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

interface ServerEntry {
  url?: string;
  headers?: Record<string, string>;
}

export class McpTools {
  private readonly servers: Record<string, ServerEntry>;
  private readonly clients = new Map<string, Promise<Client>>();

  constructor(configFile: string | undefined) {
    if (!configFile) {
      this.servers = {};
      return;
    }
    const parsed = JSON.parse(readFileSync(configFile, 'utf8')) as {
      mcpServers?: Record<string, ServerEntry>;
    };
    this.servers = parsed.mcpServers ?? {};
  }

  private client(name: string | undefined): { server: string; client: Promise<Client> } {
    const server = name ?? Object.keys(this.servers)[0];
    const entry = server ? this.servers[server] : undefined;
    if (!server || !entry?.url) throw new Error(`no MCP server ${name ?? ''} with a url in --mcp-config`);
    let client = this.clients.get(server);
    if (!client) {
      const c = new Client({ name: 'switchboard-scripted-agent', version: '1.0.0' }, {});
      const transport = new StreamableHTTPClientTransport(new URL(entry.url), {
        requestInit: { headers: entry.headers ?? {} },
      });
      client = c.connect(transport).then(() => c);
      this.clients.set(server, client);
    }
    return { server, client };
  }

  /** Calls a tool; answers with its text (or the error text) and whether it failed. */
  async call(
    tool: string,
    args: Record<string, unknown>,
    serverName?: string,
  ): Promise<{ server: string; text: string; isError: boolean }> {
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
      return { server, text, isError: result.isError === true };
    } catch (err) {
      return { server, text: (err as Error).message, isError: true };
    }
  }

  async close(): Promise<void> {
    for (const c of this.clients.values()) await (await c.catch(() => null))?.close().catch(() => {});
  }
}
