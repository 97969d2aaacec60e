/**
 * The permission relay of `switchboard mcp --permission-relay`: the bridge declares
 * `experimental["claude/channel/permission"]` (and `claude/channel`), so Claude Code sends it each
 * permission prompt of the session (`notifications/claude/channel/permission_request`). Each becomes
 * an approval on the hub (request_permission); the relay waits for its decision (wait_for_approval,
 * in rounds) and answers the session with `notifications/claude/channel/permission` — allow when
 * approved, deny when denied. A prompt that times out or is cancelled on the hub gets no answer: the
 * session's own dialog, open all along, decides. Claude Code does not say when that dialog answered,
 * so such prompts are closed on the hub by their expiry, or when the session ends (stdin closes).
 */
import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { HubClient } from '../../../client/hub-client.js';

export const PERMISSION_REQUEST = 'notifications/claude/channel/permission_request';
export const PERMISSION_ANSWER = 'notifications/claude/channel/permission';

/** What the bridge declares with the relay on (a permission relay is a channel too). */
export const RELAY_CAPABILITIES = { 'claude/channel': {}, 'claude/channel/permission': {} };

/** The hub's limits on a prompt's fields (request_permission); longer text is cut here, not refused. */
const LIMITS = { tool_name: 200, description: 2000, input_preview: 4000 } as const;

/** Seconds one wait_for_approval round blocks (the hub allows 300). */
const WAIT_ROUND_SECONDS = 60;
/** Pause before asking again after the hub could not be reached. */
const RETRY_MS = 1000;

const requestParams = z.object({
  request_id: z.string(),
  tool_name: z.string(),
  description: z.string().default(''),
  input_preview: z.string().default(''),
});

type RequestParams = z.output<typeof requestParams>;

// eslint-disable-next-line no-control-regex -- control characters are what this replaces
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/** Text the hub takes: control characters (terminal escapes) become spaces; too long is cut with …. */
const fit = (text: string, max: number) => {
  const clean = text.replace(CONTROL, ' ');
  return clean.length <= max ? clean : `${clean.slice(0, max - 1)}…`;
};

/** Whether the relay is on: the flag, or SWITCHBOARD_PERMISSION_RELAY=1. */
export function permissionRelayEnabled(flag: boolean | undefined, env: NodeJS.ProcessEnv): boolean {
  return flag === true || env.SWITCHBOARD_PERMISSION_RELAY === '1';
}

export interface RelayDeps {
  /** The hub client acting with the bridge's current token, once the hub answers. */
  hub(): Promise<HubClient>;
  note(line: string): void;
}

export class PermissionRelay {
  /** Approval id → the session's request id, while the relay waits for a decision. */
  private readonly waiting = new Map<string, string>();
  private ended = false;

  constructor(private readonly deps: RelayDeps) {}

  /** Declares the capability on a bridge server (before it connects) and handles its prompts. */
  attach(server: McpServer): void {
    server.server.registerCapabilities({ experimental: RELAY_CAPABILITIES });
    server.server.setNotificationHandler(PERMISSION_REQUEST, { params: requestParams }, (params) => {
      void this.relay(server, params);
    });
  }

  /** The session ended: withdraw every prompt still waiting on the hub (at most `withinMs`). */
  async end(withinMs = 2000): Promise<void> {
    this.ended = true;
    const closing = [...this.waiting.keys()].map(async (id) => {
      const hub = await this.deps.hub();
      await hub.call('close_permission_request', { id, reason: 'the Claude Code session ended' });
    });
    await Promise.race([
      Promise.allSettled(closing),
      new Promise((resolve) => setTimeout(resolve, withinMs).unref()),
    ]);
  }

  private async relay(server: McpServer, p: RequestParams): Promise<void> {
    const hub = await this.deps.hub();
    let approval;
    try {
      ({ approval } = await hub.call('request_permission', {
        request_id: p.request_id,
        tool_name: fit(p.tool_name, LIMITS.tool_name),
        description: fit(p.description, LIMITS.description),
        input_preview: fit(p.input_preview, LIMITS.input_preview),
      }));
    } catch (err) {
      this.deps.note(
        `switchboard mcp: permission prompt ${p.request_id} not relayed (the local dialog decides): ${(err as Error).message}`,
      );
      return;
    }
    this.waiting.set(approval.id, p.request_id);
    try {
      while (approval.status === 'pending' && !this.ended) {
        try {
          ({ approval } = await (
            await this.deps.hub()
          ).call(
            'wait_for_approval',
            { id: approval.id, timeout_seconds: WAIT_ROUND_SECONDS },
            { timeoutMs: 0 },
          ));
        } catch (err) {
          if (Date.now() > Date.parse(approval.expires_at)) break;
          this.deps.note(`switchboard mcp: waiting for approval ${approval.id}: ${(err as Error).message}`);
          await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
        }
      }
    } finally {
      this.waiting.delete(approval.id);
    }
    if (approval.status !== 'approved' && approval.status !== 'denied') return;
    const behavior = approval.status === 'approved' ? 'allow' : 'deny';
    await server.server
      .notification({ method: PERMISSION_ANSWER, params: { request_id: p.request_id, behavior } })
      .catch((err: Error) => this.deps.note(`switchboard mcp: answering ${p.request_id}: ${err.message}`));
  }
}
