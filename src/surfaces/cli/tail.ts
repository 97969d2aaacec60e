/**
 * `switchboard tail`: live events, one line each (`--json`: the raw events, one JSON object a line).
 * As an agent (--token): its messages and acks over the WebSocket, resuming after drops. As the
 * admin (--admin): every hub event over SSE. Without either: agent presence events over SSE.
 */
import type { Command } from 'commander';
import { Backoff } from '../../client/backoff.js';
import { SwitchboardError } from '../../client/errors.js';
import type { HubClient } from '../../client/hub-client.js';
import { HubSocket, type ServerFrame } from '../../client/socket.js';
import type { StreamedEvent } from '../../client/types.js';
import { type Connection, type ConnectionFlags, connect, withConnectionFlags } from './connection.js';
import { formatEvent } from './format-event.js';
import { action, usageExits } from './run.js';

interface TailFlags extends ConnectionFlags {
  since?: string;
  count?: string;
}

/** WebSocket frames that answer this connection rather than tell of the hub: not printed. */
const QUIET_FRAMES: ReadonlySet<ServerFrame['type']> = new Set(['pong', 'result', 'ready']);
const PERMANENT = new Set(['unauthorized', 'forbidden', 'not_found', 'invalid_input']);

/** Prints events and says when `--count` have been printed. */
class Printer {
  private printed = 0;
  constructor(
    private readonly json: boolean,
    private readonly limit: number | undefined,
    private readonly done: () => void,
  ) {}

  print(event: ServerFrame | StreamedEvent): void {
    if (this.limit !== undefined && this.printed >= this.limit) return;
    process.stdout.write(`${this.json ? JSON.stringify(event) : formatEvent(event)}\n`);
    this.printed++;
    if (this.limit !== undefined && this.printed >= this.limit) this.done();
  }
}

const note = (text: string) => process.stderr.write(`${text}\n`);

function untilStopped(stop: AbortController): Promise<void> {
  return new Promise((resolve) => {
    if (stop.signal.aborted) return resolve();
    stop.signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

async function tailSocket(
  conn: Connection,
  options: TailFlags,
  printer: Printer,
  stop: AbortController,
): Promise<void> {
  const me = await conn.client.whoami();
  const agentId = me.agent.agent_id;
  let failure: SwitchboardError | undefined;
  let opened = false;
  const socket = new HubSocket({
    url: conn.client.urls,
    token: conn.client.token ?? '',
    agentId,
    since: options.since,
    onMessage: (_message, _cursor, frame) => printer.print(frame),
    onFrame: (frame: ServerFrame) => {
      if (!QUIET_FRAMES.has(frame.type)) printer.print(frame);
    },
    onState: (state, detail) => {
      if (state === 'reconnecting') note(`(connection lost: ${detail?.message ?? 'closed'}; reconnecting)`);
      else if (state === 'open') {
        note(
          opened
            ? '(reconnected; resumed from the last message seen)'
            : `tailing ${conn.url} as ${agentId} over WebSocket (Ctrl-C to stop)`,
        );
        opened = true;
      } else if (state === 'closed' && detail) {
        failure = detail;
        stop.abort();
      }
    },
  });
  await socket.start();
  await untilStopped(stop);
  await socket.close();
  if (failure) throw failure;
}

async function tailEvents(
  client: HubClient,
  conn: Connection,
  printer: Printer,
  stop: AbortController,
): Promise<void> {
  const backoff = new Backoff();
  let opened = false;
  const who =
    conn.identity === 'admin'
      ? 'the admin (every hub event)'
      : 'anonymous (agent presence only; --token or --admin see more)';
  while (!stop.signal.aborted) {
    try {
      const stream = client.events({
        signal: stop.signal,
        onOpen: () => {
          note(
            opened
              ? '(reconnected; events during the gap are not replayed)'
              : `tailing ${conn.url} as ${who} over SSE (Ctrl-C to stop)`,
          );
          opened = true;
          backoff.reset();
        },
        // Several URLs: the stream itself moves to the next node (admin events in the gap are lost).
        onFailover: (err, next) => note(`(connection lost: ${err.message}; moving to ${next})`),
      });
      for await (const event of stream) printer.print(event);
      if (stop.signal.aborted) return;
      note('(the hub closed the event stream; reconnecting)');
    } catch (err) {
      if (stop.signal.aborted) return;
      const e = err as SwitchboardError;
      if (!opened || PERMANENT.has(e.code)) throw err;
      note(`(connection lost: ${e.message}; reconnecting)`);
    }
    await new Promise((r) => setTimeout(r, backoff.next()));
  }
}

export function registerTail(program: Command): void {
  const cmd = program
    .command('tail')
    .description('Follow live events, one line each (agent: WebSocket; --admin: every hub event over SSE)')
    .option('--since <cursor>', 'as an agent: replay messages after this cursor first')
    .option('--count <n>', 'exit after this many events');
  withConnectionFlags(cmd);
  usageExits(cmd);
  cmd.action(
    action(async (options: TailFlags) => {
      let limit: number | undefined;
      if (options.count !== undefined) {
        limit = Number(options.count);
        if (!Number.isInteger(limit) || limit < 1) {
          throw new SwitchboardError(
            'invalid_input',
            `--count expects a whole number above 0, got ${JSON.stringify(options.count)}`,
          );
        }
      }
      const conn = connect(options);
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const printer = new Printer(options.json === true, limit, () => stop.abort());
      try {
        if (conn.identity === 'agent') await tailSocket(conn, options, printer, stop);
        else {
          if (options.since)
            throw new SwitchboardError('invalid_input', '--since works when tailing as an agent (--token)');
          await tailEvents(conn.client, conn, printer, stop);
        }
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    }),
  );
}
