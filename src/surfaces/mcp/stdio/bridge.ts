/**
 * The stdio bridge's MCP server: the same catalog tools, each forwarded to the hub's REST
 * `POST /api/v1/ops/<name>` with the connection's bearer token. The token comes from
 * SWITCHBOARD_TOKEN or from a register_agent call on this connection; it stays in this process.
 * Like `/mcp`, it lists the tools its caller may call within the selected tool profiles
 * (`switchboard mcp --tools`, SWITCHBOARD_TOOLS), and tells the client when registering grows the list.
 * With a channel (`--channel`) it also declares Claude Code's channel capability and pushes the agent's
 * messages into the session (channel.ts).
 */
import { McpServer } from '@modelcontextprotocol/server';
import { SwitchboardError } from '../../../client/errors.js';
import type { HubClient } from '../../../client/hub-client.js';
import { catalog } from '../../../ops/catalog.js';
import { profileOf, type ToolSelection } from '../../../ops/profiles.js';
import { CHANNEL_INSTRUCTIONS } from '../../../core/delivery/event.js';
import { VERSION } from '../../../version.js';
import { progressFor, withProgressTicks } from '../progress.js';
import { INSTRUCTIONS } from '../server.js';
import { opListed, requireProfile } from '../tool-visibility.js';
import { listOnly, registerCatalogTools } from '../tools.js';
import { callerOfToken } from './caller.js';
import { CHANNEL_CAPABILITY, type ChannelBridge } from './channel.js';
import type { HubReadiness } from './readiness.js';

export interface BridgeState {
  /** The bearer this connection acts with (agent or admin token), if any. */
  token?: string;
}

export interface BridgeOptions {
  /** Push the agent's messages into the session as a Claude Code channel. */
  channel?: ChannelBridge;
}

const HINT =
  'For the stdio bridge, set SWITCHBOARD_TOKEN in this MCP server’s environment (`switchboard connect <client> --name <name>` ' +
  'prints the configuration), or call register_agent first: this connection then acts as that agent';

const UNAVAILABLE_HINT =
  'The next call checks the hub again and starts one in the background if it is on this machine';

/** No answer at all (connection refused or reset), as opposed to an error the hub answered with. */
function unreachable(err: unknown): boolean {
  return err instanceof SwitchboardError && err.code === 'unavailable' && err.status === 0;
}

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
  readiness: HubReadiness,
  profiles: ToolSelection,
  options: BridgeOptions = {},
): McpServer {
  const { channel } = options;
  const server = new McpServer(
    { name: 'switchboard', title: 'Switchboard (stdio)', version: VERSION },
    {
      capabilities: {
        tools: { listChanged: true },
        logging: {},
        ...(channel ? { experimental: { ...CHANNEL_CAPABILITY } } : {}),
      },
      instructions: channel ? `${INSTRUCTIONS}\n\n${CHANNEL_INSTRUCTIONS}` : INSTRUCTIONS,
    },
  );
  if (channel) server.server.oninitialized = () => channel.attach(server);
  const callerOf = callerOfToken(hub, () => readiness.ready());
  registerCatalogTools(
    server,
    catalog,
    async (op, args, ctx) => {
      requireProfile(op.name, profileOf(op), profiles);
      await readiness.ready();
      const call = hub.withToken(state.token).call(op.name, args, {
        signal: ctx.mcpReq.signal,
        ...(op.blocking ? { timeoutMs: 0 } : {}),
      });
      try {
        const result = await withProgressTicks(
          op.blocking ? progressFor(ctx) : undefined,
          call,
          `${op.name} waiting`,
        );
        if (op.name !== 'register_agent') return result;
        const before = state.token;
        const bound = bind(result, state);
        if (state.token !== before) {
          void ctx.mcpReq.notify({ method: 'notifications/tools/list_changed' }).catch(() => {});
          channel?.tokenChanged();
        }
        return bound;
      } catch (err) {
        if (unreachable(err)) readiness.lost();
        throw err;
      }
    },
    (failure) =>
      failure.code === 'unauthorized' ? HINT : failure.code === 'unavailable' ? UNAVAILABLE_HINT : undefined,
  );
  const ops = new Map(catalog.map((op) => [op.name, op]));
  listOnly(server, async () => {
    const view = { caller: await callerOf(state.token), profiles };
    return (name) => {
      const op = ops.get(name);
      return op !== undefined && opListed(op, view);
    };
  });
  return server;
}
