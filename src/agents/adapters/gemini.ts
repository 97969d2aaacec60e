/**
 * Google Gemini CLI, headless: `gemini --output-format stream-json --prompt TEXT`, one process per
 * user turn; the first turn's `init` names the session and later turns continue it with `--resume`.
 * The hub is an MCP server in a settings file in the instance's private directory (pointed at by
 * GEMINI_CLI_SYSTEM_SETTINGS_PATH), its bearer token read from SWITCHBOARD_TOKEN by the CLI's own
 * `$VAR` expansion, so the token is in no file and on no command line.
 *
 * Events (packages/core/src/output/types.ts): `init {session_id, model}`, `message {role, content,
 * delta?}`, `tool_use {tool_name, tool_id, parameters}`, `tool_result {tool_id, status, output?,
 * error?}`, `error {severity, message}`, `result {status, error?, stats}`. Gemini reports tokens, never
 * cost. Exit codes: 0 success, 1 error, 42 bad input, 53 turn limit.
 */
import { join } from 'node:path';
import { childEnv } from './env.js';
import { isObj, objectLine, str } from './json.js';
import { type AgentEvent, num, type PermissionDenial } from './events.js';
import type { Launch, LaunchSpec, LineParser, PerTurnAdapter, PermissionMode } from './types.js';

const APPROVAL: Record<PermissionMode, string> = {
  default: 'default',
  accept_edits: 'auto_edit',
  bypass: 'yolo',
};

export const GEMINI_SETTINGS_FILE = 'gemini-settings.json';

/** The settings file: the hub as a trusted MCP server (its tools never wait for a confirmation). */
export function geminiSettings(spec: Pick<LaunchSpec, 'hubMcpUrl'>): string {
  return JSON.stringify(
    {
      mcpServers: {
        switchboard: {
          httpUrl: spec.hubMcpUrl,
          headers: { Authorization: 'Bearer $SWITCHBOARD_TOKEN' },
          trust: true,
        },
      },
    },
    null,
    2,
  );
}

/** The arguments after the program for one turn. The system prompt leads the first turn's prompt. */
export function geminiArgs(spec: LaunchSpec, text: string): string[] {
  const args = ['--output-format', 'stream-json', '--approval-mode', APPROVAL[spec.permissionMode]];
  if (spec.model) args.push('--model', spec.model);
  if (spec.resume) args.push('--resume', spec.resume);
  const prompt = !spec.resume && spec.systemPrompt ? `${spec.systemPrompt}\n\n---\n\n${text}` : text;
  // One argument, so a prompt starting with '-' is never read as an option.
  args.push(`--prompt=${prompt}`);
  return args;
}

/**
 * Tool errors that mean the CLI refused to run the tool (headless mode cannot ask): judged by the
 * error's type, or the CLI's own policy message — not by any tool's error text, which may mention
 * permissions for reasons of its own.
 */
const DENIED_TYPE = /permission|denied|policy/i;
const DENIED_MESSAGE =
  /^tool execution denied by policy|^tool .* (requires|needs) (user )?(confirmation|approval)/i;

/** A parser for one `gemini --output-format stream-json` process (one turn). */
export function geminiParser(): LineParser {
  const tools = new Map<string, string>();
  const denials: PermissionDenial[] = [];
  let sessionId: string | null = null;
  /** Assistant text of this turn; `delta` chunks are joined and sent as one text event. */
  let text = '';
  let pending = '';
  const flush = (): AgentEvent[] => {
    if (!pending) return [];
    const t = pending;
    pending = '';
    return [{ kind: 'text', text: t }];
  };
  return (line) => {
    const msg = objectLine(line);
    if (!msg) return [];
    switch (msg.type) {
      case 'init':
        sessionId = str(msg.session_id);
        return [{ kind: 'init', session_id: sessionId, model: str(msg.model), tools: [] }];
      case 'message': {
        if (msg.role !== 'assistant') return [];
        const chunk = str(msg.content) ?? '';
        text += chunk;
        if (msg.delta === true) {
          pending += chunk;
          return [];
        }
        return [...flush(), { kind: 'text', text: chunk }];
      }
      case 'tool_use': {
        const id = str(msg.tool_id) ?? '';
        const name = str(msg.tool_name) ?? 'unknown';
        tools.set(id, name);
        return [...flush(), { kind: 'tool_use', id, name, input: msg.parameters ?? {} }];
      }
      case 'tool_result': {
        const id = str(msg.tool_id) ?? '';
        const err = isObj(msg.error) ? msg.error : null;
        const isError = msg.status === 'error';
        if (
          isError &&
          err &&
          (DENIED_TYPE.test(str(err.type) ?? '') || DENIED_MESSAGE.test(str(err.message) ?? ''))
        )
          denials.push({ tool_name: tools.get(id) ?? 'unknown' });
        return [
          ...flush(),
          {
            kind: 'tool_result',
            id,
            content: str(msg.output) ?? (err ? (str(err.message) ?? 'error') : ''),
            is_error: isError,
          },
        ];
      }
      case 'error':
        return [...flush(), { kind: 'error', message: str(msg.message) ?? 'error' }];
      case 'result': {
        const stats = isObj(msg.stats) ? msg.stats : {};
        const cached = num(stats.cached);
        const status = str(msg.status) ?? 'unknown';
        const err = isObj(msg.error) ? msg.error : null;
        let failure: string | null = null;
        if (status !== 'success')
          failure = `the turn ended with ${status}${err ? `: ${str(err.message) ?? ''}` : ''}`;
        else if (denials.length)
          failure = `permission denied for ${[...new Set(denials.map((d) => d.tool_name))].join(', ')}`;
        return [
          ...flush(),
          {
            kind: 'result',
            ok: failure === null,
            subtype: status,
            failure,
            text: text || null,
            session_id: sessionId,
            num_turns: null,
            usage: {
              // Gemini's input_tokens include the cached ones.
              input_tokens: Math.max(0, num(stats.input_tokens) - cached),
              output_tokens: num(stats.output_tokens),
              cache_read_input_tokens: cached,
              cache_creation_input_tokens: 0,
            },
            model_usage: null,
            total_cost_usd: null,
            permission_denials: [...denials],
          },
        ];
      }
      default:
        return [];
    }
  };
}

export const gemini: PerTurnAdapter = {
  name: 'gemini',
  mode: 'per-turn',
  defaultProgram: 'gemini',
  commandSetting: 'geminiCommand',
  standIn: 'gemini',
  cliEnv: [
    'GEMINI_*',
    'GOOGLE_API_KEY',
    'GOOGLE_CLOUD_PROJECT',
    'GOOGLE_CLOUD_LOCATION',
    'GOOGLE_APPLICATION_CREDENTIALS',
    'GOOGLE_GENAI_USE_VERTEXAI',
  ],
  resumable: true,
  reportsCost: false,
  // The prompt is an argument, and Linux bounds one argument at 128 KiB.
  maxTurnBytes: 120_000,
  files: (spec) => [{ name: GEMINI_SETTINGS_FILE, content: geminiSettings(spec) }],
  launchTurn(spec, text): Launch {
    const [file, ...pre] = spec.command?.length ? spec.command : ['gemini'];
    return {
      file: file!,
      args: [...pre, ...geminiArgs(spec, text)],
      env: childEnv(spec.baseEnv, {
        ...spec.extraEnv,
        SWITCHBOARD_TOKEN: spec.token,
        GEMINI_CLI_SYSTEM_SETTINGS_PATH: join(spec.privateDir, GEMINI_SETTINGS_FILE),
        // Headless runs in a folder the user never trusted would otherwise refuse tools.
        GEMINI_CLI_TRUST_WORKSPACE: 'true',
      }),
      // Closed at once: the CLI would otherwise wait for piped input before every turn.
      stdin: '',
    };
  },
  parser: geminiParser,
};
