/**
 * `switchboard status`: the hub's version, uptime, agents by status, live connections, and on a
 * cluster the live nodes and those that left on purpose.
 */
import type { Command } from 'commander';
import { type ConnectionFlags, connect, withConnectionFlags } from './connection.js';
import { printJson, printLines } from './output.js';
import { action, usageExits } from './run.js';

function duration(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  return [d && `${d}d`, (d || h) && `${h}h`, (d || h || m) && `${m}m`, `${s}s`].filter(Boolean).join(' ');
}

const counts = (record: Record<string, number>): string =>
  Object.entries(record)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || 'none';

type Status = Awaited<ReturnType<ReturnType<typeof connect>['client']['hub_status']>>;

/** The cluster's nodes: the live ones with their URLs, then those that left on purpose and when. */
function nodesLine(status: Status): string {
  const live = status.nodes.filter((n) => n.state === 'live');
  const left = status.nodes.filter((n) => n.state === 'left');
  const line = `store: postgres, node ${status.node_id}; live nodes: ${live.map((n) => n.node_id + (n.url ? ` (${n.url})` : '')).join(', ')}`;
  if (!left.length) return line;
  return `${line}; left: ${left.map((n) => `${n.node_id} (at ${n.left_at})`).join(', ')}`;
}

export function registerStatus(program: Command): void {
  const cmd = program
    .command('status')
    .description('Show the hub’s version, uptime, agents, live connections, store and nodes');
  withConnectionFlags(cmd);
  usageExits(cmd);
  cmd.action(
    action(async (options: ConnectionFlags) => {
      const { client, url } = connect(options);
      const status = await client.hub_status();
      if (options.json) return printJson(status);
      printLines([
        `switchboard ${status.version} at ${url}: ${status.status}, up ${duration(status.uptime_seconds)} (since ${status.started_at})`,
        `agents: ${counts(status.agents)}`,
        `live connections: ${counts(status.live)}`,
        status.store === 'postgres' ? nodesLine(status) : `store: sqlite (one node)`,
      ]);
    }),
  );
}
