/**
 * The scripted agent as Claude Code's channel host: the servers named by
 * `--dangerously-load-development-channels` / `--channels server:<name>` are connected at start; one
 * that declares `experimental["claude/channel"]` is a channel — each `notifications/claude/channel`
 * it sends becomes a user turn (`<channel source="name" …>content</channel>`), and, when it also
 * declares `claude/channel/permission`, it gets the session's permission prompts and may answer them.
 * Anything else is warned about on stderr, as Claude Code does, and is no channel.
 */
import type { Client } from '@modelcontextprotocol/client';
import { z } from 'zod';
import { channelServers, channelTurn, type ChannelTurn } from './channel-text.js';
import type { McpTools } from './mcp.js';
import { PermissionDesk } from './permission.js';

const CHANNEL = 'claude/channel';
const PERMISSION = 'claude/channel/permission';

/** How long a channel server may take to start and answer initialize (Claude Code's MCP_TIMEOUT is 30 s). */
const CONNECT_TIMEOUT_MS = 30_000;

function withinBound<T>(p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer to initialize within ${CONNECT_TIMEOUT_MS / 1000} s`)),
      CONNECT_TIMEOUT_MS,
    );
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

const eventParams = z.object({ content: z.string(), meta: z.record(z.string(), z.unknown()).optional() });
const answerParams = z.object({ request_id: z.string(), behavior: z.string() });

interface ServerState {
  /** null until connected and its capabilities read. */
  channel: boolean | null;
  permission: boolean;
  client: Client | null;
  /** Events that came before the capabilities were read (kept until then). */
  early: Array<z.output<typeof eventParams>>;
}

export interface ChannelFlag {
  flag: string;
  entries: string[];
}

export class ChannelHost {
  readonly desk: PermissionDesk;
  private readonly servers = new Map<string, ServerState>();
  private stopping = false;

  constructor(
    flags: ChannelFlag[],
    configured: string[],
    private readonly onTurn: (turn: ChannelTurn) => void,
    private readonly warn: (line: string) => void,
  ) {
    for (const { flag, entries } of flags) {
      const picked = channelServers(flag, entries, configured);
      for (const w of picked.warnings) warn(w);
      for (const name of picked.servers)
        this.servers.set(name, { channel: null, permission: false, client: null, early: [] });
    }
    this.desk = new PermissionDesk(
      () =>
        [...this.servers.entries()]
          .filter(([, s]) => s.channel && s.permission && s.client)
          .map(([name, s]) => ({
            name,
            send: (params) =>
              s.client!.notification({
                method: 'notifications/claude/channel/permission_request',
                params: { ...params },
              }),
          })),
      warn,
    );
  }

  /** Whether any channel was asked for. */
  get wanted(): boolean {
    return this.servers.size > 0;
  }

  /** For McpTools: a channel's handlers are in place before it connects, so no first event is lost. */
  readonly prepare = (server: string, client: Client): void => {
    const state = this.servers.get(server);
    if (!state) return;
    client.onclose = () => {
      if (state.channel && !this.stopping)
        this.warn(`channel server:${server} disconnected: no more events or permission answers from it`);
    };
    client.setNotificationHandler('notifications/claude/channel', { params: eventParams }, (params) => {
      if (state.channel === null) state.early.push(params);
      else if (state.channel) this.onTurn(channelTurn(server, params));
    });
    client.setNotificationHandler(
      'notifications/claude/channel/permission',
      { params: answerParams },
      (params) => {
        if (state.channel && state.permission) this.desk.answer(server, params);
      },
    );
  };

  /** The session ends: the channels' connections close without a warning. */
  stop(): void {
    this.stopping = true;
  }

  /** Connects every channel server (the tools' clients are the same connections). */
  async start(tools: McpTools): Promise<Array<{ name: string; status: string }>> {
    return Promise.all(
      [...this.servers.entries()].map(async ([name, state]) => {
        try {
          const client = await withinBound(tools.connect(name));
          const experimental = client.getServerCapabilities()?.experimental ?? {};
          state.client = client;
          state.channel = experimental[CHANNEL] !== undefined;
          state.permission = experimental[PERMISSION] !== undefined;
          if (!state.channel)
            this.warn(`server:${name} ignored as a channel: it does not declare the ${CHANNEL} capability`);
        } catch (err) {
          state.channel = false;
          this.warn(`server:${name} ignored as a channel: it failed to connect: ${(err as Error).message}`);
        }
        for (const params of state.early.splice(0)) if (state.channel) this.onTurn(channelTurn(name, params));
        return { name, status: state.client ? 'connected' : 'failed' };
      }),
    );
  }
}
