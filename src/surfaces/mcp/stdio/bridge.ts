/**
 * The stdio bridge's MCP server: the same catalog tools, each forwarded to the hub's REST
 * `POST /api/v1/ops/<name>` with the connection's bearer token. The token comes from
 * SWITCHBOARD_TOKEN or from a register_agent call on this connection; it stays in this process.
 */
import { McpServer } from '@modelcontextprotocol/server';
import type { HubClient } from '../../../client/hub-client.js';
import { catalog } from '../../../ops/catalog.js';
import { VERSION } from '../../../version.js';
import { progressFor, withProgressTicks } from '../progress.js';
import { INSTRUCTIONS } from '../server.js';
import { registerCatalogTools } from '../tools.js';

export interface BridgeState {
  /** The bearer this connection acts with (agent or admin token), if any. */
  token?: string;
}

const HINT =
  'For the stdio bridge, set SWITCHBOARD_TOKEN in this MCP server’s environment (`switchboard connect <client> --name <name>` ' +
  'prints the configuration), or call register_agent first: this connection then acts as that agent';

/** register_agent over stdio binds the connection: the bridge keeps the token and never shows it. */
function bind(result: unknown, state: BridgeState): unknown {
  if (!result || typeof result !== 'object') return result;
  const { token, ...rest } = result as { token?: unknown };
  if (typeof token === 'string') state.token = token;
  return { ...rest, session_bound: true };
}

export function createBridgeServer(
  hub: HubClient,
  state: BridgeState,
  hubReady: () => Promise<void>,
): McpServer {
  const server = new McpServer(
    { name: 'switchboard', title: 'Switchboard (stdio)', version: VERSION },
    { capabilities: { tools: { listChanged: false }, logging: {} }, instructions: INSTRUCTIONS },
  );
  registerCatalogTools(
    server,
    catalog,
    async (op, args, ctx) => {
      await hubReady();
      const call = hub.withToken(state.token).call(op.name, args, {
        signal: ctx.mcpReq.signal,
        ...(op.blocking ? { timeoutMs: 0 } : {}),
      });
      const result = await withProgressTicks(
        op.blocking ? progressFor(ctx) : undefined,
        call,
        `${op.name} waiting`,
      );
      return op.name === 'register_agent' ? bind(result, state) : result;
    },
    (failure) => (failure.code === 'unauthorized' ? HINT : undefined),
  );
  return server;
}
