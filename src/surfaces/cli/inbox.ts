/** `switchboard inbox`: your unread messages (or everything after --since), oldest first. */
import type { Command } from 'commander';
import { SwitchboardError } from '../../client/errors.js';
import { type ConnectionFlags, connect, withConnectionFlags } from './connection.js';
import { formatMessage } from './format-event.js';
import { clock, printJson, printLines } from './output.js';
import { action, usageExits } from './run.js';

interface InboxFlags extends ConnectionFlags {
  since?: string;
  limit?: string;
  all?: boolean;
  peek?: boolean;
  agent?: string;
}

export function registerInbox(program: Command): void {
  const cmd = program
    .command('inbox')
    .description(
      'Read your inbox: unread messages, or everything after --since (marks them read unless --peek)',
    )
    .option('--since <cursor>', 'a cursor (next_cursor of an earlier read) or an ISO-8601 time')
    .option('--limit <n>', 'at most this many (1-500, default 50)')
    .option('--all', 'read messages too, not only unread ones')
    .option('--peek', 'do not mark the messages read')
    .option('--agent <agent_id>', 'with --admin: whose inbox');
  withConnectionFlags(cmd);
  usageExits(cmd);
  cmd.action(
    action(async (options: InboxFlags) => {
      let limit: number | undefined;
      if (options.limit !== undefined) {
        limit = Number(options.limit);
        if (!Number.isInteger(limit)) {
          throw new SwitchboardError(
            'invalid_input',
            `--limit expects a whole number, got ${JSON.stringify(options.limit)}`,
          );
        }
      }
      const { client } = connect(options);
      const result = await client.check_inbox({
        agent_id: options.agent,
        since: options.since,
        limit,
        unread_only: options.all ? false : undefined,
        mark_read: options.peek ? false : undefined,
      });
      if (options.json) return printJson(result);
      const lines = result.messages.map((m) => `${clock(m.created_at)}  #${m.cursor}  ${formatMessage(m)}`);
      if (lines.length === 0) lines.push(options.since || options.all ? 'no messages' : 'no unread messages');
      lines.push(
        `next cursor: ${result.next_cursor}${result.has_more ? ' (more waiting: pass --since)' : ''}`,
      );
      printLines(lines);
    }),
  );
}
