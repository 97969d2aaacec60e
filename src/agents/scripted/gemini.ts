/**
 * The gemini stand-in: `gemini --output-format stream-json`, one process per user turn, answering as
 * the script says.
 *
 *   --output-format stream-json --approval-mode MODE [--model M] [--resume SESSION_ID|latest]
 *   --prompt TEXT            (or --prompt=TEXT, -p TEXT, or the prompt as positional words)
 *
 * MCP servers come from the settings file at $GEMINI_CLI_SYSTEM_SETTINGS_PATH
 * (`{mcpServers: {NAME: {httpUrl, headers, trust}}}`), `$VAR` and `${VAR}` expanded from the
 * environment as gemini does. Output, one JSON object a line, as gemini prints it
 * (packages/core/src/output/types.ts): init, the user message, tool_use/tool_result (MCP tools named
 * `mcp_<server>_<tool>`), the reply as assistant `delta` messages, then result with this process's
 * stats (gemini does not carry them over a --resume).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { crashCode, exitWith, forever, readAll, sleep, write } from './common.js';
import { type McpServerEntry, McpTools } from './mcp.js';
import type { Script } from './script.js';
import { latestSession, loadSession, newSession, saveSession, type SessionState, stateDir } from './state.js';
import { playTurn, specFor, usageOf } from './turn.js';

export interface GeminiArgs {
  outputFormat: string;
  approvalMode: string;
  model: string | null;
  /** `--resume ID` (`latest` or `''` for the latest session); null: a new session. */
  resume: string | null;
  prompt: string | null;
}

export class UsageError extends Error {}

const VALUE_FLAGS: Record<string, string> = {
  '--output-format': 'outputFormat',
  '-o': 'outputFormat',
  '--approval-mode': 'approvalMode',
  '--model': 'model',
  '-m': 'model',
  '--prompt': 'prompt',
  '-p': 'prompt',
  '--include-directories': 'ignore',
  '--allowed-tools': 'ignore',
  '--allowed-mcp-server-names': 'ignore',
  '--extensions': 'ignore',
  '-e': 'ignore',
};
const BOOL_FLAGS: Record<string, string> = {
  '--yolo': 'yolo',
  '-y': 'yolo',
  '--sandbox': 'ignore',
  '-s': 'ignore',
  '--debug': 'ignore',
  '-d': 'ignore',
  '--screen-reader': 'ignore',
};
const OUTPUT_FORMATS = ['text', 'json', 'stream-json'];
const APPROVAL_MODES = ['default', 'auto_edit', 'yolo', 'plan'];

/** yargs reads a value that starts with `-` (and is no number) as the next option, not as the value. */
const looksLikeOption = (v: string) => v.startsWith('-') && !/^-([0-9]+(\.[0-9]+)?|\.[0-9]+)$/.test(v);

/** The arguments after `--protocol gemini`, as gemini (yargs, strict) takes them. */
export function parseGeminiArgs(argv: string[]): GeminiArgs {
  const out: GeminiArgs = {
    outputFormat: 'text',
    approvalMode: 'default',
    model: null,
    resume: null,
    prompt: null,
  };
  let yolo = false;
  let approvalGiven = false;
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      words.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      words.push(arg);
      continue;
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (name === '--resume' || name === '-r') {
      // An optional value: bare --resume means the latest session.
      if (eq > 0) out.resume = arg.slice(eq + 1);
      else if (argv[i + 1] !== undefined && !looksLikeOption(argv[i + 1]!)) out.resume = argv[++i]!;
      else out.resume = '';
      continue;
    }
    if (BOOL_FLAGS[name] && eq < 0) {
      if (BOOL_FLAGS[name] === 'yolo') yolo = true;
      continue;
    }
    const field = VALUE_FLAGS[name];
    if (!field) throw new UsageError(`Unknown argument: ${arg.replace(/^-+/, '').split('=')[0]}`);
    let value: string | undefined;
    if (eq > 0) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (value !== undefined && looksLikeOption(value))
        throw new UsageError(
          `the value after ${name} starts with '-' (${JSON.stringify(value.slice(0, 40))}): gemini's argument ` +
            `parser reads it as an option, not as the value; pass ${name}=VALUE`,
        );
      if (value === undefined)
        throw new UsageError(`Not enough arguments following: ${name.replace(/^-+/, '')}`);
      i++;
    }
    if (field === 'outputFormat') {
      if (!OUTPUT_FORMATS.includes(value))
        throw new UsageError(
          `Invalid values:\n  Argument: output-format, Given: "${value}", Choices: ${OUTPUT_FORMATS.map((f) => `"${f}"`).join(', ')}`,
        );
      out.outputFormat = value;
    } else if (field === 'approvalMode') {
      if (!APPROVAL_MODES.includes(value))
        throw new UsageError(
          `Invalid values:\n  Argument: approval-mode, Given: "${value}", Choices: ${APPROVAL_MODES.map((f) => `"${f}"`).join(', ')}`,
        );
      out.approvalMode = value;
      approvalGiven = true;
    } else if (field === 'model') out.model = value;
    else if (field === 'prompt') out.prompt = value;
  }
  if (yolo && approvalGiven)
    throw new UsageError(
      'Cannot use both --yolo (-y) and --approval-mode together. Use --approval-mode=yolo instead.',
    );
  if (yolo) out.approvalMode = 'yolo';
  if (words.length && out.prompt !== null)
    throw new UsageError('Cannot use both a positional prompt and the --prompt (-p) flag together');
  if (words.length) out.prompt = words.join(' ');
  return out;
}

/** `$VAR` and `${VAR}` in every string, from the environment; unknown variables stay as written. */
export function expandEnv(value: unknown, env: NodeJS.ProcessEnv = process.env): unknown {
  if (typeof value === 'string')
    return value.replace(
      /\$(?:(\w+)|\{([^}]+)\})/g,
      (whole, a?: string, b?: string) => env[a ?? b!] ?? whole,
    );
  if (Array.isArray(value)) return value.map((v) => expandEnv(v, env));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expandEnv(v, env)]));
  return value;
}

/** The MCP servers of gemini's system settings file (none when there is no such file). */
export function geminiMcpServers(
  settingsPath: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, McpServerEntry> {
  if (!settingsPath) return {};
  let text: string;
  try {
    text = readFileSync(settingsPath, 'utf8');
  } catch {
    return {};
  }
  let settings: { mcpServers?: Record<string, Record<string, unknown>> };
  try {
    settings = expandEnv(JSON.parse(text), env) as typeof settings;
  } catch (err) {
    throw new Error(`Error in ${settingsPath}: ${(err as Error).message}`);
  }
  const servers: Record<string, McpServerEntry> = {};
  for (const [name, cfg] of Object.entries(settings.mcpServers ?? {})) {
    const url = typeof cfg.httpUrl === 'string' ? cfg.httpUrl : typeof cfg.url === 'string' ? cfg.url : null;
    const headers: Record<string, string> = {};
    if (cfg.headers && typeof cfg.headers === 'object')
      for (const [k, v] of Object.entries(cfg.headers)) if (typeof v === 'string') headers[k] = v;
    servers[name] = url
      ? { url, headers }
      : { error: `MCP server '${name}' has no httpUrl (the gemini stand-in speaks Streamable HTTP only)` };
  }
  return servers;
}

/** The reply as up to three pieces (gemini streams text as `delta` messages). */
export function chunks(text: string, n = 3): string[] {
  const chars = Array.from(text);
  if (chars.length === 0) return [];
  const size = Math.ceil(chars.length / Math.min(n, chars.length));
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(''));
  return out;
}

const now = () => new Date().toISOString();

export async function runGemini(script: Script, scriptFile: string, argv: string[]): Promise<never> {
  let args: GeminiArgs;
  try {
    args = parseGeminiArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return exitWith(1, `Usage: gemini [options] [query..]\n\n${err.message}`);
  }
  if (args.outputFormat !== 'stream-json')
    return exitWith(1, 'the gemini stand-in prints stream-json only: pass --output-format stream-json');
  if (script.ignore_sigterm) process.on('SIGTERM', () => {});

  const start = script.startup ?? {};
  if (start.delay_ms) await sleep(start.delay_ms);
  if (start.hang) await forever();
  const crash = crashCode(start.crash);
  if (crash !== null) await exitWith(crash, 'scripted agent: crash at startup');

  let servers: Record<string, McpServerEntry>;
  try {
    servers = geminiMcpServers(process.env.GEMINI_CLI_SYSTEM_SETTINGS_PATH);
  } catch (err) {
    return exitWith(1, (err as Error).message);
  }

  let prompt = args.prompt;
  if (prompt === null && !process.stdin.isTTY) prompt = (await readAll(process.stdin)).trim();
  if (!prompt)
    return exitWith(
      42,
      'No input provided via stdin. Input can be provided by piping data into gemini or using the --prompt option.',
    );

  const dir = stateDir(scriptFile);
  let session: SessionState;
  if (args.resume === null) session = newSession('gemini');
  else if (args.resume === '' || args.resume === 'latest') {
    const found = latestSession(dir, 'gemini');
    if (!found) return exitWith(1, 'Error resuming session: No previous sessions found for this project.');
    session = found;
  } else {
    const found = loadSession(dir, 'gemini', args.resume);
    if (!found)
      return exitWith(
        1,
        `Error resuming session: Invalid session identifier "${args.resume}". Use --list-sessions to see available sessions.`,
      );
    session = found;
  }
  session.turns += 1;
  const turn = session.turns;
  saveSession(dir, session);

  // gemini exits 130 on SIGINT, without a result.
  process.on('SIGINT', () => void exitWith(130));
  const began = Date.now();
  const model = args.model ?? script.model ?? 'scripted';
  const tools = new McpTools(servers);
  await write({ type: 'init', timestamp: now(), session_id: session.session_id, model });
  await write({ type: 'message', timestamp: now(), role: 'user', content: prompt });

  let toolCalls = 0;
  const toolId = (name: string) => `${name}-${Date.now()}-${randomBytes(6).toString('hex')}`;
  const ids: string[] = [];
  const spec = specFor(script, turn);
  const text = await playTurn({
    spec,
    input: prompt,
    turn,
    sessionId: session.session_id,
    tools,
    hooks: {
      toolUse: async (call) => {
        toolCalls += 1;
        const name = `mcp_${call.server}_${call.tool}`;
        ids[call.index] = toolId(name);
        await write({
          type: 'tool_use',
          timestamp: now(),
          tool_name: name,
          tool_id: ids[call.index],
          parameters: call.args,
        });
      },
      toolResult: async (call, r) => {
        await write({
          type: 'tool_result',
          timestamp: now(),
          tool_id: ids[call.index],
          ...(r.isError
            ? { status: 'error', error: { type: 'mcp_tool_error', message: r.text } }
            : { status: 'success', output: r.text }),
        });
      },
    },
  });
  await tools.close();

  for (const d of spec.permission_denials ?? []) {
    toolCalls += 1;
    const id = toolId(d.tool_name);
    await write({
      type: 'tool_use',
      timestamp: now(),
      tool_name: d.tool_name,
      tool_id: id,
      parameters: d.tool_input ?? {},
    });
    await write({
      type: 'tool_result',
      timestamp: now(),
      tool_id: id,
      status: 'error',
      error: { type: 'permission_denied', message: 'Tool execution denied by policy' },
    });
  }
  for (const c of chunks(text))
    await write({ type: 'message', timestamp: now(), role: 'assistant', content: c, delta: true });

  // gemini's input_tokens count the cached ones; it has no cache writes: they are plain input.
  const u = usageOf(spec);
  const input = u.input_tokens + u.cache_creation_input_tokens;
  const cached = u.cache_read_input_tokens;
  session.totals.input_tokens += input + cached;
  session.totals.cached_input_tokens += cached;
  session.totals.output_tokens += u.output_tokens;
  saveSession(dir, session);
  const stats = {
    total_tokens: input + cached + u.output_tokens,
    input_tokens: input + cached,
    output_tokens: u.output_tokens,
    cached,
    input,
    duration_ms: Date.now() - began,
    tool_calls: toolCalls,
  };

  const subtype = spec.subtype ?? 'success';
  if (subtype === 'success') {
    await write({ type: 'result', timestamp: now(), status: 'success', stats });
    return exitWith(spec.exit ?? 0);
  }
  const turnLimit = subtype === 'error_max_turns';
  await write({
    type: 'result',
    timestamp: now(),
    status: 'error',
    error: {
      type: turnLimit ? 'FatalTurnLimitedError' : 'FatalError',
      message: `scripted failure: ${subtype}`,
    },
    stats,
  });
  // gemini's exit codes: 53 for the session turn limit, 1 for other errors.
  return exitWith(spec.exit ?? (turnLimit ? 53 : 1));
}
