/**
 * The scripted agent's claude-code protocol: speaks Claude Code's stream-json protocol on
 * stdin/stdout (answering the `initialize` and `interrupt` control requests) and answers each user
 * turn as its script says (text, delays, hangs, crashes, exit codes, usage and cost, permission
 * denials, and real calls to the hub's MCP tools). codex.ts and gemini.ts are the per-turn protocols.
 */
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { ChannelTurn } from './channel-text.js';
import { type ChannelFlag, ChannelHost } from './channels.js';
import { crashCode, exitWith, forever, Interrupted, sleep, withoutSecrets, write } from './common.js';
import { loadSession, newSession, saveSession, type SessionState, stateDir } from './state.js';
import { McpTools } from './mcp.js';
import { PermissionDesk } from './permission.js';
import {
  assistantLine,
  initLine,
  resultLine,
  type Totals,
  toolResultLine,
  userTextLine,
} from './protocol.js';
import type { Script } from './script.js';
import { deniedMessage, playTurn, previewInput, specFor, usageOf } from './turn.js';

export interface ScriptedOptions {
  script: Script;
  mcpConfig?: string;
  sessionId?: string;
  /**
   * Claude Code's --resume: continue this session — its id is reported again and the script goes on
   * from the session's next turn; cumulative usage and cost count from this process's start, as
   * Claude Code's do. An unknown session fails like Claude Code.
   */
  resume?: string;
  /** The script's file: sessions are kept next to it (see state.ts). */
  scriptFile?: string;
  model?: string;
  maxTurns?: number;
  maxBudgetUsd?: number;
  /** `--dangerously-load-development-channels` / `--channels` and their entries (see channels.ts). */
  channels?: ChannelFlag[];
}

/** A control request on stdin (Claude Code's `{type: control_request, request_id, request: {subtype}}`). */
function controlRequest(line: string): { id: string; subtype: string } | null {
  try {
    const msg = JSON.parse(line) as { type?: string; request_id?: unknown; request?: { subtype?: unknown } };
    if (msg?.type !== 'control_request') return null;
    return {
      id: typeof msg.request_id === 'string' ? msg.request_id : '',
      subtype: typeof msg.request?.subtype === 'string' ? msg.request.subtype : '',
    };
  } catch {
    return null;
  }
}

/** The answer to `initialize` (a small SDKControlInitializeResponse): the CLI is up. */
const initializeResponse = () => ({
  commands: [],
  models: [],
  output_style: 'default',
  available_output_styles: ['default'],
  account: {},
});

/** The text of a user turn line: a string content or the text blocks of a content array. */
function userText(line: string): string | null {
  let msg: { type?: string; message?: { content?: unknown } };
  try {
    msg = JSON.parse(line);
  } catch {
    return null;
  }
  if (msg?.type !== 'user') return null;
  const c = msg.message?.content;
  if (typeof c === 'string') return c;
  if (Array.isArray(c))
    return c.map((b: { text?: unknown }) => (typeof b?.text === 'string' ? b.text : '')).join('');
  return null;
}

export async function runScripted(opts: ScriptedOptions): Promise<void> {
  const { script } = opts;
  const model = opts.model ?? script.model ?? 'scripted';
  const session = opts.resume ?? opts.sessionId ?? randomUUID();
  // One turn at a time, in the order they arrive (stdin or a channel); stdin closed and nothing left: exit 0.
  // The session opens once init is printed: an event a channel sends right at start waits for it.
  let openSession: () => void = () => {};
  let chain = new Promise<void>((resolve) => (openSession = resolve));
  let queued = 0;
  const enqueue = (text: string, channel?: ChannelTurn) => {
    queued += 1;
    chain = chain.then(() => runTurn(text, channel));
  };
  const warn = (line: string) => process.stderr.write(`${withoutSecrets(line)}\n`);
  let host: ChannelHost | null = null;
  if (opts.channels?.some((c) => c.entries.length > 0)) {
    const configured = new McpTools(opts.mcpConfig).names();
    // A channel event is a user turn like one from stdin: queued, then played through the script.
    host = new ChannelHost(opts.channels, configured, (event) => enqueue(event.text, event), warn);
  }
  const tools = new McpTools(opts.mcpConfig, host?.prepare);
  // Without channels a permission prompt has only the scripted local dialog (or its bound).
  const desk = host?.desk ?? new PermissionDesk(() => [], warn);
  const totals: Totals = {
    input_tokens: 0,
    output_tokens: 0,
    cache_read_input_tokens: 0,
    cache_creation_input_tokens: 0,
    cost_usd: 0,
  };
  if (script.ignore_sigterm) process.on('SIGTERM', () => {});
  const dir = opts.scriptFile ? stateDir(opts.scriptFile) : null;
  let state: SessionState | null = null;
  if (dir && opts.resume) {
    state = loadSession(dir, 'claude-code', opts.resume);
    if (!state) await exitWith(1, `No conversation found with session ID: ${opts.resume}`);
  } else if (dir) {
    state = newSession('claude-code', session);
    saveSession(dir, state);
  }

  const start = script.startup ?? {};
  if (start.delay_ms) await sleep(start.delay_ms);
  if (start.hang) await forever();
  const crash = crashCode(start.crash);
  if (crash !== null) await exitWith(crash, 'scripted agent: crash at startup');
  // Like Claude Code, the channels are connected before the session starts (init lists them).
  const servers = host?.wanted ? await host.start(tools) : [];
  await write(initLine(session, model, ['Bash', 'Read', 'Edit'], process.cwd(), servers));
  openSession();

  let turn = state?.turns ?? 0;
  let toolSeq = 0;
  /** The running turn's interrupt switch. */
  let current: AbortController | null = null;
  /** `queued`: turns read from stdin (or a channel) but not started yet; an interrupt then stops the next one. */
  let interruptNext = false;
  const interrupt = () => {
    if (current) current.abort();
    else if (queued > 0) interruptNext = true;
  };
  // Like an interactive CLI, SIGINT stops the current turn, not the agent.
  process.on('SIGINT', interrupt);
  const runTurn = async (input: string, channel?: ChannelTurn) => {
    turn += 1;
    if (dir && state) {
      state.turns = turn;
      saveSession(dir, state);
    }
    const began = Date.now();
    queued -= 1;
    current = new AbortController();
    if (interruptNext) current.abort();
    interruptNext = false;
    const { signal } = current;
    try {
      // The turn a channel starts shows on stdout like Claude Code's replayed user message.
      if (channel) await write(userTextLine(session, input));
      await answerTurn(input, began, signal, channel);
    } catch (err) {
      if (!(err instanceof Interrupted)) throw err;
      await write(
        resultLine({
          session_id: session,
          model,
          subtype: 'error_during_execution',
          text: 'interrupted',
          num_turns: turn,
          duration_ms: Date.now() - began,
          usage: {
            input_tokens: 0,
            output_tokens: 0,
            cache_read_input_tokens: 0,
            cache_creation_input_tokens: 0,
          },
          totals,
          permission_denials: [],
        }),
      );
    } finally {
      current = null;
    }
  };
  /** A permission prompt's outcome for a tool the turn does not call itself: its tool_use and tool_result. */
  const showPermission = async (
    prompt: { tool_name: string; input_preview: string },
    outcome: { behavior: string; by: string },
  ) => {
    const id = `toolu_${String(++toolSeq).padStart(4, '0')}`;
    const input = previewInput(prompt.input_preview);
    await write(assistantLine(session, model, [{ type: 'tool_use', id, name: prompt.tool_name, input }]));
    const text =
      outcome.behavior === 'allow'
        ? `Permission to use ${prompt.tool_name} was allowed (answered by ${outcome.by}).`
        : deniedMessage(prompt.tool_name, outcome.by);
    await write(toolResultLine(session, id, text, outcome.behavior !== 'allow'));
  };
  const answerTurn = async (input: string, began: number, signal: AbortSignal, channel?: ChannelTurn) => {
    const spec = specFor(script, turn);
    const ids: string[] = [];
    const denials: Array<{ tool_name: string; tool_input?: unknown }> = [];
    const text = await playTurn({
      spec,
      input,
      turn,
      sessionId: session,
      tools,
      signal,
      ...(channel
        ? { channel: { source: channel.source, content: channel.content, meta: channel.meta } }
        : {}),
      permissions: { desk, show: showPermission },
      denials,
      hooks: {
        toolUse: async (call) => {
          ids[call.index] = `toolu_${String(++toolSeq).padStart(4, '0')}`;
          await write(
            assistantLine(session, model, [
              {
                type: 'tool_use',
                id: ids[call.index],
                name: `mcp__${call.server}__${call.tool}`,
                input: call.args,
              },
            ]),
          );
        },
        toolResult: (call, result) =>
          write(toolResultLine(session, ids[call.index]!, result.text, result.isError)),
      },
    });
    await write(assistantLine(session, model, [{ type: 'text', text }]));

    const usage = usageOf(spec);
    for (const k of Object.keys(usage) as Array<keyof typeof usage>) totals[k] += usage[k];
    totals.cost_usd = Math.round((totals.cost_usd + (spec.cost_usd ?? 0)) * 1e9) / 1e9;
    let subtype: string = spec.subtype ?? 'success';
    if (opts.maxTurns !== undefined && turn > opts.maxTurns) subtype = 'error_max_turns';
    if (opts.maxBudgetUsd !== undefined && totals.cost_usd > opts.maxBudgetUsd)
      subtype = 'error_max_budget_usd';
    await write(
      resultLine({
        session_id: session,
        model,
        subtype,
        text,
        num_turns: turn,
        duration_ms: Date.now() - began,
        usage,
        totals,
        permission_denials: [...(spec.permission_denials ?? []), ...denials],
      }),
    );
    if (spec.exit !== undefined) await exitWith(spec.exit);
  };

  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const control = controlRequest(line.trim());
    if (control) {
      const { id, subtype } = control;
      if (subtype === 'interrupt') {
        interrupt();
        void write({ type: 'control_response', response: { subtype: 'success', request_id: id } });
      } else if (subtype === 'initialize') {
        void write({
          type: 'control_response',
          response: { subtype: 'success', request_id: id, response: initializeResponse() },
        });
      } else {
        void write({
          type: 'control_response',
          response: {
            subtype: 'error',
            request_id: id,
            error: `Unsupported control request subtype: ${subtype}`,
          },
        });
      }
      return;
    }
    const text = userText(line.trim());
    if (text !== null) enqueue(text);
  });
  await new Promise<void>((resolve) => rl.on('close', () => resolve()));
  // Turns a channel queued meanwhile are played too.
  for (let last: Promise<void> | null = null; last !== chain;) {
    last = chain;
    await last;
  }
  host?.stop();
  await tools.close();
  await exitWith(0);
}
