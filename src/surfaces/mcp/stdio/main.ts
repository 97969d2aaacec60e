/**
 * `switchboard mcp`: an MCP stdio server bridged to the hub at SWITCHBOARD_URL (default
 * http://127.0.0.1:7700), started in the background when none answers. stdout carries MCP JSON-RPC
 * only; notes go to stderr. `--tools` (or SWITCHBOARD_TOOLS) selects tool profiles, as `/mcp?tools=`.
 */
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { DEFAULT_URL, normalizeUrl } from '../../../client/http.js';
import { HubClient } from '../../../client/hub-client.js';
import { parseToolProfiles } from '../../../ops/profiles.js';
import { type BridgeState, createBridgeServer } from './bridge.js';
import { PermissionRelay, permissionRelayEnabled } from './permission-relay.js';
import { hubReadiness } from './readiness.js';

/** `tools`: the --tools flag (wins over SWITCHBOARD_TOOLS); an unknown profile throws before serving. */
export function runMcpStdio(
  env: NodeJS.ProcessEnv = process.env,
  tools?: string,
  opts: { permissionRelay?: boolean } = {},
): void {
  const profiles = parseToolProfiles(
    tools ?? (env.SWITCHBOARD_TOOLS || undefined),
    tools !== undefined ? '--tools' : 'SWITCHBOARD_TOOLS',
  );
  const url = normalizeUrl(env.SWITCHBOARD_URL || DEFAULT_URL);
  const note = (line: string) => process.stderr.write(`${line}\n`);
  const state: BridgeState = { token: env.SWITCHBOARD_TOKEN || undefined };
  const hub = new HubClient({ url });
  const readiness = hubReadiness(url, env, note);
  readiness.ready().catch((err) => note(`switchboard: ${(err as Error).message}`));
  const relay = permissionRelayEnabled(opts.permissionRelay, env)
    ? new PermissionRelay({ hub: async () => (await readiness.ready(), hub.withToken(state.token)), note })
    : undefined;
  serveStdio(
    () => {
      const server = createBridgeServer(hub, state, readiness, profiles);
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
