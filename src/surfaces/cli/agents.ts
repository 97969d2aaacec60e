/** `switchboard agents`: who is registered, filtered by capability, status, project or role. */
import type { Command } from 'commander';
import { Option } from 'commander';
import { type ConnectionFlags, connect, withConnectionFlags } from './connection.js';
import { printJson, printLines, table } from './output.js';
import { action, usageExits } from './run.js';

interface AgentsFlags extends ConnectionFlags {
  capability?: string;
  status?: 'active' | 'busy' | 'idle' | 'offline' | 'retired';
  project?: string;
  role?: string;
  all?: boolean;
}

export function registerAgents(program: Command): void {
  const cmd = program
    .command('agents')
    .description('List agents (filters: --capability, --status, --project, --role; --all includes retired)')
    .option('--capability <name>', 'only agents with this capability')
    .addOption(
      new Option('--status <status>', 'only agents in this status').choices([
        'active',
        'busy',
        'idle',
        'offline',
        'retired',
      ]),
    )
    .option('--project <name>', 'only agents of this project')
    .option('--role <role>', 'only agents with this role')
    .option('--all', 'include retired agents');
  withConnectionFlags(cmd);
  usageExits(cmd);
  cmd.action(
    action(async (options: AgentsFlags) => {
      const { client } = connect(options);
      const result = await client.list_agents({
        capability: options.capability,
        status: options.status,
        project: options.project,
        role: options.role,
        include_retired: options.all || options.status === 'retired' || undefined,
      });
      if (options.json) return printJson(result);
      if (result.agents.length === 0) return printLines(['no agents']);
      const rows = result.agents.map((a) => [
        a.agent_id,
        a.name,
        a.status,
        a.capabilities.join(',') || '-',
        a.role ?? '-',
        a.project,
        a.last_heartbeat,
      ]);
      printLines([
        ...table(['AGENT', 'NAME', 'STATUS', 'CAPABILITIES', 'ROLE', 'PROJECT', 'LAST SEEN'], rows),
        `${result.total} agent${result.total === 1 ? '' : 's'}`,
      ]);
    }),
  );
}
