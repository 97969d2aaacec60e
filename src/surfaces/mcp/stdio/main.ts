/**
 * `switchboard mcp`: an MCP stdio server bridged to the hub at SWITCHBOARD_URL (default
 * http://127.0.0.1:7700), started in the background when none answers. SWITCHBOARD_URL may list a
 * cluster's nodes (`http://a:7700,http://b:7700`): calls and the channel's push move to the next node
 * when one fails (the client's rule, src/client/failover.ts), and the push resumes from its cursor. stdout carries MCP JSON-RPC
 * only; notes go to stderr. `--tools` (or SWITCHBOARD_TOOLS) selects tool profiles, as `/mcp?tools=`.
 * `--channel` (or SWITCHBOARD_CHANNEL=1) makes it a Claude Code channel that pushes the agent's messages;
 * `--permission-relay` also relays the session's permission prompts to the hub's approvals.
 */
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { DEFAULT_URL, HubUrls } from '../../../client/failover.js';
import { HubClient } from '../../../client/hub-client.js';
import { parseToolProfiles } from '../../../ops/profiles.js';
import { type BridgeState, createBridgeServer } from './bridge.js';
import { ChannelBridge } from './channel.js';
import { PermissionRelay, permissionRelayEnabled } from './permission-relay.js';
import { hubReadiness } from './readiness.js';

export interface McpStdioFlags {
  /** The --tools flag (wins over SWITCHBOARD_TOOLS). */
  tools?: string;
  /** The --channel flag (or SWITCHBOARD_CHANNEL=1). */
  channel?: boolean;
  /** The --permission-relay flag (or SWITCHBOARD_PERMISSION_RELAY=1); a relay is a channel too. */
  permissionRelay?: boolean;
}

/** An unknown tool profile throws before serving. */
export function runMcpStdio(env: NodeJS.ProcessEnv = process.env, flags: McpStdioFlags = {}): void {
  const { tools } = flags;
  const profiles = parseToolProfiles(
    tools ?? (env.SWITCHBOARD_TOOLS || undefined),
    tools !== undefined ? '--tools' : 'SWITCHBOARD_TOOLS',
  );
  // One HubUrls for the whole bridge: its calls, readiness and channel move between nodes together.
  const url = new HubUrls(env.SWITCHBOARD_URL || DEFAULT_URL);
  const note = (line: string) => process.stderr.write(`${line}\n`);
  const state: BridgeState = { token: env.SWITCHBOARD_TOKEN || undefined };
  const hub = new HubClient({ url });
  const readiness = hubReadiness(url, env, note);
  readiness.ready().catch((err) => note(`switchboard: ${(err as Error).message}`));
  const relayOn = permissionRelayEnabled(flags.permissionRelay, env);
  const channel =
    flags.channel || relayOn || /^(1|true|yes)$/i.test(env.SWITCHBOARD_CHANNEL ?? '')
      ? new ChannelBridge({ url, token: () => state.token, ready: () => readiness.ready(), note })
      : undefined;
  const relay = relayOn
    ? new PermissionRelay({ hub: async () => (await readiness.ready(), hub.withToken(state.token)), note })
    : undefined;
  serveStdio(
    () => {
      const server = createBridgeServer(hub, state, readiness, profiles, { channel });
      relay?.attach(server);
      return server;
    },
    { onerror: (err) => note(`switchboard mcp: ${err.message}`) },
  );
  // The client closing stdin ends the bridge (keep-alive sockets to the hub must not hold it open);
  // the permission prompts still waiting on the hub are withdrawn first.
  process.stdin.once(
    'end',
    () =>
      void (relay?.end() ?? Promise.resolve()).finally(() => setTimeout(() => process.exit(0), 100).unref()),
  );
}
