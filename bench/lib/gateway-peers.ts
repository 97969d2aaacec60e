/**
 * The MCP gateways a user could put in front of a stdio server instead of Switchboard, as child
 * processes on loopback for bench section (g): `mcp-proxy` (one stdio server as Streamable HTTP at
 * /mcp; the SDK client gets a 2025-11-25 session) and `mcp-hub` (many servers behind one endpoint,
 * legacy HTTP+SSE: GET /mcp + POST /messages; tools named `<server>__<tool>`). Both are npm
 * devDependencies, run with their default options as their READMEs show. Each peer runs its own
 * copy of the downstream server; its state (mcp-hub's log and workspace cache) goes to a temporary
 * directory, never to the user's home.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client, SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { removeDir, stopChild, track, trackDir } from './children.js';

export type PeerName = 'mcp-proxy' | 'mcp-hub';
export const PEERS: PeerName[] = ['mcp-proxy', 'mcp-hub'];

export interface PeerProcess {
  name: PeerName;
  version: string;
  /** What the SDK client speaks to it. */
  transport: string;
  pid: number;
  client: Client;
  /** The downstream echo tool's name as the peer lists it. */
  echoTool: string;
  stop(): Promise<void>;
}

/** A stdio MCP server: the command and its arguments. */
export interface StdioServer {
  command: string;
  args: string[];
}

function packageDir(name: string): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve(`${name}/package.json`));
}

function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(join(packageDir(name), 'package.json'), 'utf8')) as { version: string })
    .version;
}

/** A free loopback port (the kernel's pick; released again just before the peer binds it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Starts `name` in front of `server` and returns it with a connected SDK client once the echo tool
 * is listed (30 s at most). The child is tracked, so it is stopped whatever happens.
 */
export async function startPeer(name: PeerName, server: StdioServer): Promise<PeerProcess> {
  const dir = mkdtempSync(join(tmpdir(), `switchboard-bench-${name}-`));
  trackDir(dir);
  const port = await freePort();
  let args: string[];
  if (name === 'mcp-proxy') {
    args = [
      join(packageDir('mcp-proxy'), 'dist/bin/mcp-proxy.mjs'),
      '--port',
      String(port),
      '--',
      server.command,
      ...server.args,
    ];
  } else {
    const config = join(dir, 'mcp-servers.json');
    writeFileSync(
      config,
      JSON.stringify({ mcpServers: { everything: { command: server.command, args: server.args } } }),
    );
    args = [join(packageDir('mcp-hub'), 'dist/cli.js'), '--port', String(port), '--config', config];
  }
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, XDG_STATE_HOME: dir, XDG_CONFIG_HOME: dir, XDG_DATA_HOME: dir },
  });
  track(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-2000);
  });
  const stop = async () => {
    await stopChild(child, 5000);
    removeDir(dir);
  };
  const echoTool = name === 'mcp-hub' ? 'everything__echo' : 'echo';
  const url = new URL(`http://127.0.0.1:${port}/mcp`);
  const deadline = Date.now() + 30_000;
  let last = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`${name} exited (code ${child.exitCode}): ${stderr.trim().slice(-600)}`);
    }
    const client = new Client({ name: `switchboard-bench-${name}`, version: '0.1.0' });
    try {
      await client.connect(
        name === 'mcp-hub' ? new SSEClientTransport(url) : new StreamableHTTPClientTransport(url),
      );
      if ((await client.listTools()).tools.some((t) => t.name === echoTool)) {
        return {
          name,
          version: packageVersion(name),
          transport:
            name === 'mcp-hub'
              ? `HTTP+SSE, ${client.getNegotiatedProtocolVersion?.() ?? '2025'}`
              : `Streamable HTTP, ${client.getNegotiatedProtocolVersion?.() ?? '2025'} session`,
          pid: child.pid!,
          client,
          echoTool,
          stop: async () => {
            await client.close().catch(() => {});
            await stop();
          },
        };
      }
      last = `${echoTool} not listed yet`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await client.close().catch(() => {});
    await new Promise((r) => setTimeout(r, 200));
  }
  await stop();
  throw new Error(`${name} did not list ${echoTool} within 30 s (${last}): ${stderr.trim().slice(-600)}`);
}
