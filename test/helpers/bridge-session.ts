/**
 * Test helpers for failover: a loopback URL where nothing listens, and `switchboard mcp --channel`
 * spawned as a real process (needs the build) with an SDK stdio client recording its channel events,
 * as Claude Code would.
 */
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { z } from 'zod';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'switchboard.js');
const eventSchema = z.object({ content: z.string(), meta: z.record(z.string(), z.string()) });
export type ChannelEventSeen = z.infer<typeof eventSchema>;

/** A loopback URL where nothing listens (a port just freed). */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return `http://127.0.0.1:${port}`;
}

export interface Bridge {
  client: Client;
  events: ChannelEventSeen[];
  stderr: () => string;
}

/** `switchboard mcp --channel` with SWITCHBOARD_URL set to the URLs, comma-separated. */
export async function startBridge(o: { urls: string[]; token: string; home: string }): Promise<Bridge> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'mcp', '--channel'],
    env: {
      PATH: process.env.PATH ?? '',
      LOG_LEVEL: 'silent',
      SWITCHBOARD_HOME: o.home,
      SWITCHBOARD_URL: o.urls.join(','),
      SWITCHBOARD_TOKEN: o.token,
    },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const client = new Client(
    { name: 'claude-code-stand-in', version: '1.0.0' },
    { versionNegotiation: { mode: 'legacy' } },
  );
  const events: ChannelEventSeen[] = [];
  client.setNotificationHandler('notifications/claude/channel', { params: eventSchema }, (params) => {
    events.push(params);
  });
  await client.connect(transport);
  return { client, events, stderr: () => stderr };
}

/** The message ids the bridge pushed, in order (a batched event carries several). */
export const idsPushed = (b: Bridge): string[] =>
  b.events.flatMap((e) => (e.meta.message_ids ? e.meta.message_ids.split(',') : [e.meta.message_id!]));
