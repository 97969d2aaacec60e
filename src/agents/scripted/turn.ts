/**
 * One scripted turn, whatever the protocol: wait, hang, call the hub's tools, crash, or answer. The
 * protocol prints the lines (through the hooks) and the result.
 */
import { crashCode, exitWith, forever, Interrupted, sleep, withoutSecrets } from './common.js';
import type { McpTools, ToolCallResult } from './mcp.js';
import type { Script, TurnSpec } from './script.js';
import { fill, fillDeep, type TemplateVars } from './template.js';

export interface ScriptedToolCall {
  /** 0, 1, ... within the turn. */
  index: number;
  tool: string;
  /** The MCP server the call goes to (the script's `server`, else the first configured). */
  server: string;
  args: Record<string, unknown>;
}

export interface TurnHooks {
  toolUse(call: ScriptedToolCall): Promise<void>;
  toolResult(call: ScriptedToolCall, result: ToolCallResult): Promise<void>;
}

export interface TurnUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
}

/** The spec of turn n (1-based): its entry in `turns`, else `default`, else echo. */
export const specFor = (script: Script, turn: number): TurnSpec =>
  script.turns?.[turn - 1] ?? script.default ?? { reply: { echo: true } };

/** The turn's usage, with the defaults (100 input, 20 output tokens). */
export const usageOf = (spec: TurnSpec): TurnUsage => ({
  input_tokens: spec.usage?.input_tokens ?? 100,
  output_tokens: spec.usage?.output_tokens ?? 20,
  cache_read_input_tokens: spec.usage?.cache_read_input_tokens ?? 0,
  cache_creation_input_tokens: spec.usage?.cache_creation_input_tokens ?? 0,
});

/**
 * Plays a turn up to its reply: delay, hang, tool calls (really made), crash (the process exits
 * here). Answers with the reply text. Throws Interrupted when the signal aborts.
 */
export async function playTurn(o: {
  spec: TurnSpec;
  input: string;
  turn: number;
  sessionId: string;
  tools: McpTools;
  hooks: TurnHooks;
  signal?: AbortSignal;
}): Promise<string> {
  const { spec, signal } = o;
  const vars: TemplateVars = { input: o.input, turn: o.turn, session_id: o.sessionId, tool_results: [] };
  if (signal?.aborted) throw new Interrupted();
  if (spec.delay_ms) await sleep(spec.delay_ms, signal);
  if (spec.hang) await forever(signal);
  let index = 0;
  for (const c of spec.tool_calls ?? []) {
    const call: ScriptedToolCall = {
      index: index++,
      tool: c.tool,
      server: o.tools.serverName(c.server),
      args: fillDeep(c.arguments ?? {}, vars) as Record<string, unknown>,
    };
    await o.hooks.toolUse(call);
    const result = await o.tools.call(call.tool, call.args, c.server);
    if (signal?.aborted) throw new Interrupted();
    vars.tool_results.push(result.text);
    await o.hooks.toolResult(call, result);
  }
  const crash = crashCode(spec.crash);
  if (crash !== null) await exitWith(crash, `scripted agent: crash in turn ${o.turn}`);
  const r = spec.reply ?? { echo: true as const };
  // Cleaned whole, before a protocol splits it into chunks (gemini's deltas) that no line-wise check would catch.
  return withoutSecrets(typeof r === 'string' ? r : 'echo' in r ? o.input : fill(r.template, vars));
}
