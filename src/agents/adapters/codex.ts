/**
 * OpenAI Codex CLI, headless: `codex exec --json`, one process per user turn. The prompt goes on
 * stdin (`-`); the first turn's `thread.started` names the thread, and later turns continue it with
 * `codex exec resume <thread_id>`. The hub is configured as a Streamable HTTP MCP server by `-c`
 * overrides, its bearer token read from the SWITCHBOARD_TOKEN variable (never on the command line).
 *
 * Events (codex-rs/exec/src/exec_events.rs): `thread.started {thread_id}`, `turn.started`,
 * `item.started|updated|completed {item: {id, type, ...}}`, `turn.completed {usage}`,
 * `turn.failed {error: {message}}`, `error {message}`. Codex reports tokens, never cost; the usage in
 * `turn.completed` is the thread's running total (it carries on across `exec resume`), so it is given
 * as `session_usage` and the hub counts the difference from the previous turn's.
 */
import { childEnv } from './env.js';
import { isObj, type Json, objectLine, str } from './json.js';
import { type AgentEvent, num, type PermissionDenial } from './events.js';
import type { Launch, LaunchSpec, LineParser, PerTurnAdapter, PermissionMode } from './types.js';

/** A TOML basic string (what `-c key=value` parses): JSON's escapes are valid TOML escapes. */
const toml = (s: string): string => JSON.stringify(s);

const SANDBOX: Record<PermissionMode, string[]> = {
  default: ['--sandbox', 'read-only'],
  accept_edits: ['--sandbox', 'workspace-write'],
  bypass: ['--dangerously-bypass-approvals-and-sandbox'],
};

/** The arguments after the program for one turn. */
export function codexArgs(spec: LaunchSpec): string[] {
  const args = ['exec', '--json', '--skip-git-repo-check', ...SANDBOX[spec.permissionMode]];
  if (spec.model) args.push('--model', spec.model);
  if (spec.systemPrompt) args.push('-c', `developer_instructions=${toml(spec.systemPrompt)}`);
  args.push(
    '-c',
    `mcp_servers.switchboard.url=${toml(spec.hubMcpUrl)}`,
    '-c',
    'mcp_servers.switchboard.bearer_token_env_var="SWITCHBOARD_TOKEN"',
  );
  if (spec.resume) args.push('resume', spec.resume);
  args.push('-');
  return args;
}

function itemText(item: Json): string {
  if (item.type === 'mcp_tool_call') {
    if (isObj(item.error)) return str(item.error.message) ?? 'error';
    const result = isObj(item.result) ? item.result : {};
    const content = Array.isArray(result.content) ? result.content : [];
    return content.map((c) => (isObj(c) ? (str(c.text) ?? JSON.stringify(c)) : '')).join('');
  }
  if (item.type === 'command_execution') return str(item.aggregated_output) ?? '';
  if (item.type === 'file_change') return JSON.stringify(item.changes ?? []);
  return '';
}

function toolName(item: Json): string {
  if (item.type === 'mcp_tool_call')
    return `mcp__${str(item.server) ?? 'unknown'}__${str(item.tool) ?? 'unknown'}`;
  return str(item.type) ?? 'unknown';
}

function toolInput(item: Json): unknown {
  if (item.type === 'mcp_tool_call') return item.arguments;
  if (item.type === 'command_execution') return { command: item.command };
  if (item.type === 'file_change') return { changes: item.changes };
  if (item.type === 'web_search') return { query: item.query };
  return {};
}

/** A denied tool with what it was asked to do (codex declines commands: name the command). */
function describeDenial(d: PermissionDenial): string {
  const input = d.tool_input as { command?: unknown } | undefined;
  return typeof input?.command === 'string' ? `${d.tool_name} (${input.command.slice(0, 80)})` : d.tool_name;
}

const TOOL_ITEMS = new Set(['command_execution', 'mcp_tool_call', 'file_change', 'web_search']);

/** A parser for one `codex exec --json` process (one turn). */
export function codexParser(): LineParser {
  const started = new Set<string>();
  const denials: PermissionDenial[] = [];
  let lastMessage: string | null = null;
  let threadId: string | null = null;
  return (line) => {
    const msg = objectLine(line);
    if (!msg) return [];
    switch (msg.type) {
      case 'thread.started':
        threadId = str(msg.thread_id);
        return [{ kind: 'init', session_id: threadId, model: null, tools: [] }];
      case 'item.started':
      case 'item.completed': {
        const item = isObj(msg.item) ? msg.item : null;
        if (!item) return [];
        const id = str(item.id) ?? '';
        const type = str(item.type) ?? '';
        const out: AgentEvent[] = [];
        if (TOOL_ITEMS.has(type) && !started.has(id)) {
          started.add(id);
          out.push({ kind: 'tool_use', id, name: toolName(item), input: toolInput(item) });
        }
        if (msg.type === 'item.started') return out;
        if (type === 'agent_message') {
          lastMessage = str(item.text) ?? '';
          out.push({ kind: 'text', text: lastMessage });
        } else if (type === 'error') {
          out.push({ kind: 'error', message: str(item.message) ?? 'error' });
        } else if (TOOL_ITEMS.has(type) && type !== 'web_search') {
          const status = str(item.status);
          if (status === 'declined') denials.push({ tool_name: toolName(item), tool_input: toolInput(item) });
          const failed =
            status === 'failed' ||
            status === 'declined' ||
            (type === 'command_execution' && typeof item.exit_code === 'number' && item.exit_code !== 0);
          out.push({ kind: 'tool_result', id, content: itemText(item), is_error: failed });
        }
        return out;
      }
      case 'turn.completed': {
        const u = isObj(msg.usage) ? msg.usage : {};
        const cached = num(u.cached_input_tokens);
        const failure = denials.length
          ? `permission denied for ${[...new Set(denials.map(describeDenial))].join(', ')}`
          : null;
        return [
          {
            kind: 'result',
            ok: failure === null,
            subtype: 'success',
            failure,
            text: lastMessage,
            session_id: threadId,
            num_turns: null,
            usage: null,
            // Running totals for the thread (they carry on across `exec resume`); cached input is
            // counted inside input_tokens.
            session_usage: {
              input_tokens: Math.max(0, num(u.input_tokens) - cached),
              output_tokens: num(u.output_tokens),
              cache_read_input_tokens: cached,
              cache_creation_input_tokens: 0,
            },
            model_usage: null,
            total_cost_usd: null,
            permission_denials: [...denials],
          },
        ];
      }
      case 'turn.failed': {
        const message = isObj(msg.error) ? (str(msg.error.message) ?? 'turn failed') : 'turn failed';
        return [
          {
            kind: 'result',
            ok: false,
            subtype: 'turn_failed',
            failure: `the turn failed: ${message}`,
            text: lastMessage,
            session_id: threadId,
            num_turns: null,
            usage: null,
            model_usage: null,
            total_cost_usd: null,
            permission_denials: [...denials],
          },
        ];
      }
      case 'error':
        return [{ kind: 'error', message: str(msg.message) ?? 'error' }];
      default:
        return [];
    }
  };
}

export const codex: PerTurnAdapter = {
  name: 'codex',
  mode: 'per-turn',
  defaultProgram: 'codex',
  commandSetting: 'codexCommand',
  standIn: 'codex',
  cliEnv: ['OPENAI_*', 'CODEX_HOME'],
  resumable: true,
  reportsCost: false,
  launchTurn(spec, text): Launch {
    const [file, ...pre] = spec.command?.length ? spec.command : ['codex'];
    return {
      file: file!,
      args: [...pre, ...codexArgs(spec)],
      env: childEnv(spec.baseEnv, { ...spec.extraEnv, SWITCHBOARD_TOKEN: spec.token }),
      stdin: text,
    };
  },
  parser: codexParser,
};
