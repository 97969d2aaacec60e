/** `switchboard send <to> <body>`: send a message as your agent (or, with --admin, --from an agent). */
import type { Command } from 'commander';
import { Option } from 'commander';
import { SwitchboardError } from '../../client/errors.js';
import type { SendInput } from '../../client/types.js';
import { type ConnectionFlags, connect, withConnectionFlags } from './connection.js';
import { printJson, printLines } from './output.js';
import { action, usageExits } from './run.js';

interface SendFlags extends ConnectionFlags {
  type?: string;
  subject?: string;
  thread?: string;
  replyTo?: string;
  correlationId?: string;
  importance?: 'low' | 'normal' | 'high' | 'urgent';
  ackRequired?: boolean;
  ttl?: string;
  idempotencyKey?: string;
  from?: string;
  text?: boolean;
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) {
    throw new SwitchboardError(
      'invalid_input',
      'Give the message body as an argument, or "-" with the body on stdin',
    );
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').replace(/\n$/, '');
  if (text === '') {
    throw new SwitchboardError(
      'invalid_input',
      'No message body: give it as an argument, or pipe it in with "-"',
    );
  }
  return text;
}

/** A body that is a JSON object is sent as one (unless --text); anything else is text. */
export function parseBody(text: string, forceText = false): string | Record<string, unknown> {
  if (!forceText && /^\s*\{/.test(text)) {
    try {
      const parsed = JSON.parse(text);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed;
    } catch {
      /* text after all */
    }
  }
  return text;
}

/** `a,b` → a list of ids; `ALL`, `capability:x`, `topic:x` or one id as they are. */
export function parseRecipients(to: string): string | string[] {
  const parts = to
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (parts.length === 0)
    throw new SwitchboardError(
      'invalid_input',
      'Name a recipient: an agent id, a,b, ALL, capability:<name> or topic:<name>',
    );
  return parts.length === 1 ? parts[0] : parts;
}

export function registerSend(program: Command): void {
  const cmd = program
    .command('send')
    .description('Send a message: to an agent id, a,b,c, ALL, capability:<name> or topic:<name>')
    .argument('<to>', 'recipient(s)')
    .argument('[body]', 'text, or a JSON object; "-" or nothing reads stdin')
    .option('--type <type>', 'message type (request, response, ping, task_proposal, ...; default message)')
    .option('--subject <text>', 'subject line')
    .option('--thread <id>', 'a thread you take part in, to add this message to')
    .option('--reply-to <message_id>', 'the message this answers (joins its thread)')
    .option('--correlation-id <id>', 'correlation id')
    .addOption(new Option('--importance <level>', 'importance').choices(['low', 'normal', 'high', 'urgent']))
    .option('--ack-required', 'ask recipients to acknowledge')
    .option('--ttl <seconds>', 'not delivered after this many seconds')
    .option('--idempotency-key <key>', 'a resend with the same key stores nothing new')
    .option('--from <agent_id>', 'with --admin: the agent to send as')
    .option('--text', 'send the body as text even if it looks like JSON');
  withConnectionFlags(cmd);
  usageExits(cmd);
  cmd.action(
    action(async (to: string, bodyArg: string | undefined, options: SendFlags) => {
      const text = bodyArg === undefined || bodyArg === '-' ? await readStdin() : bodyArg;
      let ttl: number | undefined;
      if (options.ttl !== undefined) {
        ttl = Number(options.ttl);
        if (!Number.isInteger(ttl) || ttl < 1) {
          throw new SwitchboardError(
            'invalid_input',
            `--ttl expects a whole number of seconds, got ${JSON.stringify(options.ttl)}`,
          );
        }
      }
      const input: SendInput = {
        to: parseRecipients(to),
        body: parseBody(text, options.text),
        from: options.from,
        type: options.type,
        subject: options.subject,
        thread_id: options.thread,
        reply_to: options.replyTo,
        correlation_id: options.correlationId,
        importance: options.importance,
        ack_required: options.ackRequired,
        ttl_seconds: ttl,
        idempotency_key: options.idempotencyKey,
      };
      const { client } = connect(options);
      const result = await client.send_message(input);
      // On stderr, so it shows even with --json and never mixes into what a script parses.
      if (result.warning) process.stderr.write(`switchboard: warning: ${result.warning}\n`);
      if (options.json) return printJson(result);
      const n = result.recipients.length;
      printLines([
        `${result.duplicate ? 'already sent' : 'sent'} ${result.message_id} to ${n} recipient${n === 1 ? '' : 's'}` +
          `${n ? ` (${result.recipients.join(', ')})` : ''}, thread ${result.thread_id}`,
      ]);
    }),
  );
}
