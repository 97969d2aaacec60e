/**
 * One scripted turn, whatever the protocol: wait, hang, call the hub's tools, crash, or answer. The
 * protocol prints the lines (through the hooks) and the result.
 */
import { crashCode, exitWith, forever, Interrupted, sleep, withoutSecrets } from './common.js';
import type { McpTools, ToolCallResult } from './mcp.js';
import type { PermissionDesk, PermissionOutcome, PermissionPrompt } from './permission.js';
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

/** claude-code's permission prompts (codex and gemini have none: there `permission` is ignored). */
export interface TurnPermissions {
  desk: PermissionDesk;
  /** Shows the outcome of a prompt for a tool the turn does not call itself (a built-in, e.g. Bash). */
  show(prompt: PermissionPrompt, outcome: PermissionOutcome): Promise<void>;
}

/** How long a prompt waits for an answer when the script sets no bound. */
const PERMISSION_TIMEOUT_MS = 120_000;

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
  /** The channel event that started the turn. */
  channel?: TemplateVars['channel'];
  permissions?: TurnPermissions;
  /** Filled with the turn's denied permission (for the result's permission_denials). */
  denials?: Array<{ tool_name: string; tool_input?: unknown }>;
}): Promise<string> {
  const { spec, signal } = o;
  const vars: TemplateVars = {
    input: o.input,
    turn: o.turn,
    session_id: o.sessionId,
    tool_results: [],
    ...(o.channel ? { channel: o.channel } : {}),
  };
  if (signal?.aborted) throw new Interrupted();
  if (spec.delay_ms) await sleep(spec.delay_ms, signal);
  if (spec.hang) await forever(signal);
  const calls = (spec.tool_calls ?? []).map((c) => ({ ...c, target: o.tools.serverName(c.server) }));
  const asked = spec.permission && o.permissions ? spec.permission : undefined;
  /** Whether a tool call is the one the prompt is about (by its name, or Claude Code's mcp__server__tool). */
  const guarded = (c: { tool: string; target: string }) =>
    asked !== undefined && (asked.tool_name === c.tool || asked.tool_name === `mcp__${c.target}__${c.tool}`);
  let denied: PermissionOutcome | null = null;
  if (asked && o.permissions) {
    const prompt: PermissionPrompt = {
      tool_name: asked.tool_name,
      description: fill(asked.description ?? `Use ${asked.tool_name}`, vars),
      input_preview: fill(asked.input_preview ?? '', vars),
    };
    const outcome = await o.permissions.desk.ask(prompt, {
      local: asked.local
        ? { behavior: asked.local.behavior, after_ms: asked.local.after_ms ?? 0 }
        : undefined,
      timeoutMs: asked.timeout_ms ?? PERMISSION_TIMEOUT_MS,
      signal,
    });
    vars.permission = { behavior: outcome.behavior, by: outcome.by };
    if (outcome.behavior === 'deny') {
      denied = outcome;
      o.denials?.push({ tool_name: prompt.tool_name, tool_input: previewInput(prompt.input_preview) });
    }
    if (!calls.some(guarded)) await o.permissions.show(prompt, outcome);
  }
  let index = 0;
  for (const c of calls) {
    const call: ScriptedToolCall = {
      index: index++,
      tool: c.tool,
      server: c.target,
      args: fillDeep(c.arguments ?? {}, vars) as Record<string, unknown>,
    };
    await o.hooks.toolUse(call);
    const result =
      denied && guarded(c)
        ? deniedResult(call, denied.by)
        : await o.tools.call(call.tool, call.args, c.server);
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

/** The tool input a permission denial reports: the preview's JSON, else the preview as text. */
export function previewInput(preview: string): unknown {
  try {
    return JSON.parse(preview) as unknown;
  } catch {
    return preview === '' ? {} : { preview };
  }
}

/** What a tool call the permission prompt denied answers (it is not made). */
export const deniedMessage = (tool: string, by: string) =>
  `Permission to use ${tool} was denied (answered by ${by}); the tool was not run.`;

const deniedResult = (call: ScriptedToolCall, by: string): ToolCallResult => ({
  server: call.server,
  text: deniedMessage(call.tool, by),
  isError: true,
  content: null,
  structuredContent: null,
  transportError: false,
});
