/** Claude Code headless: `claude -p` with stream-json in and out. */
import { childEnv } from './env.js';
import { isObj, str } from './json.js';
import { type AgentEvent, type ModelUsage, num, type PermissionDenial, type TokenUsage } from './events.js';
import { judgeTurn } from './outcome.js';
import type { Launch, LaunchSpec, PermissionMode, SessionAdapter } from './types.js';

const CLAUDE_PERMISSION: Record<PermissionMode, string> = {
  default: 'default',
  accept_edits: 'acceptEdits',
  bypass: 'bypassPermissions',
};

/** The flags after the program: the same for `claude` and for the scripted agent. */
export function claudeArgs(spec: LaunchSpec): string[] {
  const args = [
    '-p',
    '--output-format',
    'stream-json',
    '--input-format',
    'stream-json',
    '--verbose',
    '--mcp-config',
    spec.mcpConfigFile,
    // The hub's own tools never wait for a permission prompt nobody can answer.
    '--allowedTools',
    'mcp__switchboard',
    '--permission-mode',
    CLAUDE_PERMISSION[spec.permissionMode],
    ...(spec.resume ? ['--resume', spec.resume] : ['--session-id', spec.sessionId]),
  ];
  if (spec.model) args.push('--model', spec.model);
  if (spec.systemPrompt) args.push('--append-system-prompt', spec.systemPrompt);
  if (spec.maxTurns !== undefined) args.push('--max-turns', String(spec.maxTurns));
  if (spec.maxCostUsd !== undefined) args.push('--max-budget-usd', String(spec.maxCostUsd));
  return args;
}

function usageOf(v: unknown): TokenUsage | null {
  if (!isObj(v)) return null;
  return {
    input_tokens: num(v.input_tokens),
    output_tokens: num(v.output_tokens),
    cache_read_input_tokens: num(v.cache_read_input_tokens),
    cache_creation_input_tokens: num(v.cache_creation_input_tokens),
  };
}

function modelUsageOf(v: unknown): Record<string, ModelUsage> | null {
  if (!isObj(v)) return null;
  const out: Record<string, ModelUsage> = {};
  for (const [model, u] of Object.entries(v)) {
    if (!isObj(u)) continue;
    out[model] = {
      input_tokens: num(u.inputTokens),
      output_tokens: num(u.outputTokens),
      cache_read_input_tokens: num(u.cacheReadInputTokens),
      cache_creation_input_tokens: num(u.cacheCreationInputTokens),
      cost_usd: num(u.costUSD),
    };
  }
  return out;
}

function denialsOf(v: unknown): PermissionDenial[] {
  if (!Array.isArray(v)) return [];
  return v.map((d) => ({
    tool_name: isObj(d) ? (str(d.tool_name) ?? 'unknown') : 'unknown',
    tool_input: isObj(d) ? d.tool_input : undefined,
  }));
}

function contentText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map((c) => (isObj(c) ? (str(c.text) ?? '') : '')).join('');
  return v === undefined ? '' : JSON.stringify(v);
}

/** Events in one line of Claude Code's stream-json output. */
export function parseClaudeLine(line: string): AgentEvent[] {
  const trimmed = line.trim();
  if (!trimmed) return [];
  let msg: unknown;
  try {
    msg = JSON.parse(trimmed);
  } catch {
    return [{ kind: 'error', message: `unparsable output line: ${trimmed.slice(0, 200)}` }];
  }
  if (!isObj(msg)) return [];
  const content = isObj(msg.message) && Array.isArray(msg.message.content) ? msg.message.content : [];
  switch (msg.type) {
    case 'control_response': {
      const r = isObj(msg.response) ? msg.response : {};
      const ok = r.subtype === 'success';
      return [
        {
          kind: 'control_response',
          request_id: str(r.request_id) ?? '',
          ok,
          error: ok ? null : (str(r.error) ?? 'the CLI refused the request'),
        },
      ];
    }
    case 'system':
      if (msg.subtype !== 'init') return [];
      return [
        {
          kind: 'init',
          session_id: str(msg.session_id),
          model: str(msg.model),
          tools: Array.isArray(msg.tools) ? msg.tools.filter((t): t is string => typeof t === 'string') : [],
        },
      ];
    case 'assistant': {
      const out: AgentEvent[] = [];
      for (const c of content) {
        if (!isObj(c)) continue;
        if (c.type === 'text' && typeof c.text === 'string') out.push({ kind: 'text', text: c.text });
        if (c.type === 'tool_use')
          out.push({ kind: 'tool_use', id: str(c.id) ?? '', name: str(c.name) ?? '', input: c.input });
      }
      return out;
    }
    case 'user': {
      const out: AgentEvent[] = [];
      for (const c of content) {
        if (!isObj(c) || c.type !== 'tool_result') continue;
        out.push({
          kind: 'tool_result',
          id: str(c.tool_use_id) ?? '',
          content: contentText(c.content),
          is_error: c.is_error === true,
        });
      }
      return out;
    }
    case 'result': {
      const subtype = str(msg.subtype) ?? 'unknown';
      const permission_denials = denialsOf(msg.permission_denials);
      const failure = judgeTurn({ subtype, is_error: msg.is_error === true, permission_denials });
      return [
        {
          kind: 'result',
          ok: failure === null,
          subtype,
          failure,
          text: str(msg.result),
          session_id: str(msg.session_id),
          num_turns: typeof msg.num_turns === 'number' ? msg.num_turns : null,
          usage: usageOf(msg.usage),
          model_usage: modelUsageOf(msg.modelUsage),
          total_cost_usd: typeof msg.total_cost_usd === 'number' ? msg.total_cost_usd : null,
          permission_denials,
        },
      ];
    }
    default:
      return [];
  }
}

export function encodeClaudeTurn(text: string): string {
  return `${JSON.stringify({ type: 'user', message: { role: 'user', content: text } })}\n`;
}

/** Claude Code's stream-json `initialize` control request: its control_response says the CLI is up. */
export function encodeClaudeReadyProbe(requestId: string): string {
  return `${JSON.stringify({ type: 'control_request', request_id: requestId, request: { subtype: 'initialize' } })}\n`;
}

/** Claude Code's stream-json control request that interrupts the running turn (what the Agent SDK sends). */
export function encodeClaudeInterrupt(requestId: string): string {
  return `${JSON.stringify({ type: 'control_request', request_id: requestId, request: { subtype: 'interrupt' } })}\n`;
}

export const claudeCode: SessionAdapter = {
  name: 'claude-code',
  mode: 'session',
  defaultProgram: 'claude',
  commandSetting: 'claudeCommand',
  standIn: 'claude-code',
  cliEnv: ['ANTHROPIC_*', 'CLAUDE_CONFIG_DIR', 'CLAUDE_CODE_USE_BEDROCK', 'CLAUDE_CODE_USE_VERTEX'],
  resumable: true,
  reportsCost: true,
  resultEvents: true,
  // stream-json input is read as a live stream: a message written mid-turn reaches the CLI at once.
  steers: true,
  launch(spec): Launch {
    const [file, ...pre] = spec.command?.length ? spec.command : ['claude'];
    return { file: file!, args: [...pre, ...claudeArgs(spec)], env: childEnv(spec.baseEnv, spec.extraEnv) };
  },
  encodeTurn: encodeClaudeTurn,
  encodeInterrupt: encodeClaudeInterrupt,
  encodeReadyProbe: encodeClaudeReadyProbe,
  parser: () => parseClaudeLine,
};
