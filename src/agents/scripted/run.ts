/**
 * The scripted agent: speaks Claude Code's stream-json protocol on stdin/stdout and answers each
 * user turn as its script says (text, delays, hangs, crashes, exit codes, usage and cost, permission
 * denials, and real calls to the hub's MCP tools).
 */
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { McpTools } from './mcp.js';
import { assistantLine, initLine, resultLine, type Totals, toolResultLine } from './protocol.js';
import type { Script, TurnSpec } from './script.js';
import { fill, fillDeep, type TemplateVars } from './template.js';

export interface ScriptedOptions {
  script: Script;
  mcpConfig?: string;
  sessionId?: string;
  /** Claude Code's --resume: continue this session (its id is reported again; turns count on from the script's start). */
  resume?: string;
  model?: string;
  maxTurns?: number;
  maxBudgetUsd?: number;
}

class Interrupted extends Error {}

/** Waits ms, or until the turn is interrupted (then throws Interrupted). */
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(new Interrupted());
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(new Interrupted());
      },
      { once: true },
    );
  });
/** Never settles, unless the turn is interrupted. */
const forever = async (signal?: AbortSignal): Promise<never> => {
  for (;;) await sleep(2 ** 30, signal);
};

function write(obj: unknown): Promise<void> {
  return new Promise((resolve) => process.stdout.write(`${JSON.stringify(obj)}\n`, () => resolve()));
}

async function exitWith(code: number, why?: string): Promise<never> {
  if (why) process.stderr.write(`${why}\n`);
  await new Promise<void>((r) => process.stdout.write('', () => r()));
  process.exit(code);
}

/** Whether the line is Claude Code's stdin interrupt: a control_request with subtype interrupt. */
function interruptRequest(line: string): string | null {
  try {
    const msg = JSON.parse(line) as { type?: string; request_id?: string; request?: { subtype?: string } };
    if (msg?.type === 'control_request' && msg.request?.subtype === 'interrupt') return msg.request_id ?? '';
  } catch {
    /* not JSON */
  }
  return null;
}

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
  const tools = new McpTools(opts.mcpConfig);
  const totals: Totals = {
    input_tokens: 0,
    output_tokens: 0,
    cache_read_input_tokens: 0,
    cache_creation_input_tokens: 0,
    cost_usd: 0,
  };
  if (script.ignore_sigterm) process.on('SIGTERM', () => {});

  const start = script.startup ?? {};
  if (start.delay_ms) await sleep(start.delay_ms);
  if (start.hang) await forever();
  if (start.crash !== undefined && start.crash !== false) {
    await exitWith(start.crash === true ? 1 : start.crash, 'scripted agent: crash at startup');
  }
  await write(initLine(session, model, ['Bash', 'Read', 'Edit'], process.cwd()));

  let turn = 0;
  let toolSeq = 0;
  /** The running turn's interrupt switch. */
  let current: AbortController | null = null;
  /** Turns read from stdin but not started yet; an interrupt then stops the next one. */
  let queued = 0;
  let interruptNext = false;
  const interrupt = () => {
    if (current) current.abort();
    else if (queued > 0) interruptNext = true;
  };
  // Like an interactive CLI, SIGINT stops the current turn, not the agent.
  process.on('SIGINT', interrupt);
  const runTurn = async (input: string) => {
    turn += 1;
    const began = Date.now();
    queued -= 1;
    current = new AbortController();
    if (interruptNext) current.abort();
    interruptNext = false;
    const { signal } = current;
    try {
      await answerTurn(input, began, signal);
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
  const answerTurn = async (input: string, began: number, signal: AbortSignal) => {
    const spec: TurnSpec = script.turns?.[turn - 1] ?? script.default ?? { reply: { echo: true } };
    const vars: TemplateVars = { input, turn, session_id: session, tool_results: [] };
    if (signal.aborted) throw new Interrupted();
    if (spec.delay_ms) await sleep(spec.delay_ms, signal);
    if (spec.hang) await forever(signal);
    for (const call of spec.tool_calls ?? []) {
      const id = `toolu_${String(++toolSeq).padStart(4, '0')}`;
      const args = fillDeep(call.arguments ?? {}, vars) as Record<string, unknown>;
      const server = call.server ?? 'switchboard';
      await write(
        assistantLine(session, model, [
          { type: 'tool_use', id, name: `mcp__${server}__${call.tool}`, input: args },
        ]),
      );
      const result = await tools.call(call.tool, args, call.server);
      if (signal.aborted) throw new Interrupted();
      vars.tool_results.push(result.text);
      await write(toolResultLine(session, id, result.text, result.isError));
    }
    if (spec.crash !== undefined && spec.crash !== false) {
      await exitWith(spec.crash === true ? 1 : spec.crash, `scripted agent: crash in turn ${turn}`);
    }
    const r = spec.reply ?? { echo: true as const };
    const text = typeof r === 'string' ? r : 'echo' in r ? input : fill(r.template, vars);
    await write(assistantLine(session, model, [{ type: 'text', text }]));

    const usage = {
      input_tokens: spec.usage?.input_tokens ?? 100,
      output_tokens: spec.usage?.output_tokens ?? 20,
      cache_read_input_tokens: spec.usage?.cache_read_input_tokens ?? 0,
      cache_creation_input_tokens: spec.usage?.cache_creation_input_tokens ?? 0,
    };
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
        permission_denials: spec.permission_denials ?? [],
      }),
    );
    if (spec.exit !== undefined) await exitWith(spec.exit);
  };

  // One turn at a time, in the order they arrive; stdin closed and nothing left: exit 0.
  let chain: Promise<void> = Promise.resolve();
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const requestId = interruptRequest(line.trim());
    if (requestId !== null) {
      interrupt();
      void write({
        type: 'control_response',
        response: { subtype: 'success', request_id: requestId },
      });
      return;
    }
    const text = userText(line.trim());
    if (text === null) return;
    queued += 1;
    chain = chain.then(() => runTurn(text));
  });
  await new Promise<void>((resolve) => rl.on('close', () => resolve()));
  await chain;
  await tools.close();
  await exitWith(0);
}
