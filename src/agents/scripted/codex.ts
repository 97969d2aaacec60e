/**
 * The codex stand-in: `codex exec --json`, one process per user turn, answering as the script says.
 *
 *   exec --json --skip-git-repo-check (--sandbox MODE | --dangerously-bypass-approvals-and-sandbox)
 *        [--model M] [-c key=value]... [resume SESSION_ID] [-|PROMPT]
 *
 * The prompt is read from stdin to its end (`-`, or no prompt argument). MCP servers come from the
 * `-c mcp_servers.NAME.url="..."` overrides, the bearer token from the variable named by
 * `-c mcp_servers.NAME.bearer_token_env_var="VAR"`. Output, one JSON object a line, as codex prints
 * it (codex-rs/exec/src/exec_events.rs): thread.started, turn.started, item.started/item.completed
 * (mcp_tool_call, command_execution, agent_message), then turn.completed with the thread's token
 * totals (codex reports `usage.total`, which keeps counting across resumed processes) or turn.failed.
 */
import { crashCode, exitWith, forever, readAll, sleep, write } from './common.js';
import { type McpServerEntry, McpTools } from './mcp.js';
import type { Script } from './script.js';
import { latestSession, loadSession, newSession, saveSession, type SessionState, stateDir } from './state.js';
import { playTurn, specFor, usageOf } from './turn.js';

export interface CodexArgs {
  json: boolean;
  sandbox: string | null;
  bypass: boolean;
  model: string | null;
  /** The `-c key=value` overrides, in order, values parsed as TOML scalars. */
  config: Array<[string, unknown]>;
  /** `resume SESSION_ID` (null: a new thread). */
  resume: string | null;
  /** `resume --last`. */
  last: boolean;
  /** The prompt argument: `-` or absent means stdin. */
  prompt: string | null;
}

export class UsageError extends Error {}

const VALUE_FLAGS = new Map<string, string>([
  ['--sandbox', 'sandbox'],
  ['-s', 'sandbox'],
  ['--model', 'model'],
  ['-m', 'model'],
  ['--config', 'config'],
  ['-c', 'config'],
  ['--cd', 'ignore'],
  ['-C', 'ignore'],
  ['--profile', 'ignore'],
  ['-p', 'ignore'],
  ['--color', 'ignore'],
  ['--output-last-message', 'ignore'],
  ['-o', 'ignore'],
  ['--output-schema', 'ignore'],
  ['--image', 'ignore'],
  ['-i', 'ignore'],
  ['--add-dir', 'ignore'],
  ['--local-provider', 'ignore'],
]);
const BOOL_FLAGS = new Map<string, string>([
  ['--json', 'json'],
  ['--experimental-json', 'json'],
  ['--skip-git-repo-check', 'ignore'],
  ['--dangerously-bypass-approvals-and-sandbox', 'bypass'],
  ['--yolo', 'bypass'],
  ['--full-auto', 'ignore'],
  ['--oss', 'ignore'],
  ['--ephemeral', 'ignore'],
  ['--last', 'last'],
  ['--all', 'ignore'],
]);
const SANDBOX_MODES = ['read-only', 'workspace-write', 'danger-full-access'];

/** A `-c` value as codex reads it: a TOML scalar, else the literal text. */
export function tomlValue(raw: string): unknown {
  const v = raw.trim();
  if (v.startsWith('"')) {
    try {
      return JSON.parse(v);
    } catch {
      return raw;
    }
  }
  if (v.length >= 2 && v.startsWith("'") && v.endsWith("'")) return v.slice(1, -1);
  if (v === 'true' || v === 'false') return v === 'true';
  if (/^[+-]?\d+(\.\d+)?$/.test(v)) return Number(v);
  return raw;
}

/** The arguments after `--protocol codex`, as `codex exec` takes them. */
export function parseCodexArgs(argv: string[]): CodexArgs {
  const [sub, ...rest] = argv;
  if (sub !== 'exec' && sub !== 'e')
    throw new UsageError(
      sub === undefined
        ? 'the codex stand-in runs `codex exec` only: no subcommand given'
        : `the codex stand-in runs \`codex exec\` only, not '${sub}'`,
    );
  const out: CodexArgs = {
    json: false,
    sandbox: null,
    bypass: false,
    model: null,
    config: [],
    resume: null,
    last: false,
    prompt: null,
  };
  let inResume = false;
  const positionals: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--') {
      positionals.push(...rest.slice(i + 1));
      break;
    }
    if (arg.startsWith('-') && arg !== '-') {
      const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
      const name = eq > 0 ? arg.slice(0, eq) : arg;
      const bool = BOOL_FLAGS.get(name);
      const valued = VALUE_FLAGS.get(name);
      if (bool && eq < 0) {
        if (bool === 'json') out.json = true;
        else if (bool === 'bypass') out.bypass = true;
        else if (bool === 'last') {
          if (!inResume) throw new UsageError("unexpected argument '--last' found (it belongs to `resume`)");
          out.last = true;
        }
        continue;
      }
      if (!valued) throw new UsageError(`unexpected argument '${arg}' found`);
      const value = eq > 0 ? arg.slice(eq + 1) : rest[++i];
      if (value === undefined) throw new UsageError(`a value is required for '${name} <VALUE>'`);
      if (valued === 'sandbox') {
        if (!SANDBOX_MODES.includes(value))
          throw new UsageError(
            `invalid value '${value}' for '--sandbox <SANDBOX_MODE>' [possible values: ${SANDBOX_MODES.join(', ')}]`,
          );
        out.sandbox = value;
      } else if (valued === 'model') out.model = value;
      else if (valued === 'config') {
        const at = value.indexOf('=');
        if (at <= 0) throw new UsageError(`invalid override (missing '='): ${value}`);
        out.config.push([value.slice(0, at).trim(), tomlValue(value.slice(at + 1))]);
      }
      continue;
    }
    if (!inResume && arg === 'resume' && positionals.length === 0) {
      inResume = true;
      continue;
    }
    positionals.push(arg);
  }
  if (out.sandbox && out.bypass)
    throw new UsageError(
      "the argument '--dangerously-bypass-approvals-and-sandbox' cannot be used with '--sandbox <SANDBOX_MODE>'",
    );
  if (inResume && !out.last) {
    const id = positionals.shift();
    if (id === undefined) throw new UsageError('resume needs a SESSION_ID or --last');
    out.resume = id;
  }
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}' found`);
  out.prompt = positionals[0] ?? null;
  return out;
}

/** The MCP servers of the `-c mcp_servers.NAME.*` overrides, their tokens from the environment. */
export function codexMcpServers(
  config: Array<[string, unknown]>,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, McpServerEntry> {
  const fields: Record<string, Record<string, unknown>> = {};
  for (const [key, value] of config) {
    const m = /^mcp_servers\.([^.]+)\.(.+)$/.exec(key);
    if (!m) continue;
    (fields[m[1]!] ??= {})[m[2]!] = value;
  }
  const servers: Record<string, McpServerEntry> = {};
  for (const [name, f] of Object.entries(fields)) {
    if (f.enabled === false) continue;
    if (typeof f.url !== 'string') {
      servers[name] = {
        error: `MCP server '${name}' has no url (the codex stand-in speaks Streamable HTTP only)`,
      };
      continue;
    }
    const entry: McpServerEntry = { url: f.url, headers: {} };
    const tokenVar = f.bearer_token_env_var;
    if (typeof tokenVar === 'string') {
      const token = env[tokenVar];
      if (token) entry.headers!.Authorization = `Bearer ${token}`;
      else entry.error = `Environment variable ${tokenVar} for MCP server '${name}' is not set`;
    }
    servers[name] = entry;
  }
  return servers;
}

export async function runCodex(script: Script, scriptFile: string, argv: string[]): Promise<never> {
  let args: CodexArgs;
  try {
    args = parseCodexArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return exitWith(2, `error: ${err.message}\n\nUsage: codex exec --json [OPTIONS] [PROMPT] [COMMAND]`);
  }
  if (!args.json)
    return exitWith(2, 'error: the codex stand-in prints JSON lines only: run it as `codex exec --json`');
  if (script.ignore_sigterm) process.on('SIGTERM', () => {});

  const start = script.startup ?? {};
  if (start.delay_ms) await sleep(start.delay_ms);
  if (start.hang) await forever();
  const crash = crashCode(start.crash);
  if (crash !== null) await exitWith(crash, 'scripted agent: crash at startup');

  let prompt = args.prompt;
  if (prompt === null || prompt === '-') {
    if (prompt === null && process.stdin.isTTY)
      return exitWith(
        1,
        'No prompt provided. Either specify one as an argument or pipe the prompt into stdin.',
      );
    if (prompt === null) process.stderr.write('Reading prompt from stdin...\n');
    prompt = await readAll(process.stdin);
  }
  if (!prompt.trim()) return exitWith(1, 'No prompt provided via stdin.');

  const dir = stateDir(scriptFile);
  let session: SessionState;
  if (args.resume !== null) {
    const found = loadSession(dir, 'codex', args.resume);
    if (!found) return exitWith(1, `Error: thread/resume: no rollout found for thread id ${args.resume}`);
    session = found;
  } else if (args.last) {
    // Like codex: `resume --last` with no earlier thread starts a new one.
    session = latestSession(dir, 'codex') ?? newSession('codex');
  } else {
    session = newSession('codex');
  }
  session.turns += 1;
  const turn = session.turns;
  saveSession(dir, session);

  // codex exec on SIGINT interrupts the turn and exits 1 without a turn.completed.
  process.on('SIGINT', () => void exitWith(1));
  const tools = new McpTools(codexMcpServers(args.config));
  await write({ type: 'thread.started', thread_id: session.session_id });
  await write({ type: 'turn.started' });

  let seq = 0;
  const nextId = () => `item_${seq++}`;
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
        ids[call.index] = nextId();
        await write({
          type: 'item.started',
          item: {
            id: ids[call.index],
            type: 'mcp_tool_call',
            server: call.server,
            tool: call.tool,
            arguments: call.args,
            result: null,
            error: null,
            status: 'in_progress',
          },
        });
      },
      toolResult: async (call, r) => {
        await write({
          type: 'item.completed',
          item: {
            id: ids[call.index],
            type: 'mcp_tool_call',
            server: call.server,
            tool: call.tool,
            arguments: call.args,
            result: r.transportError ? null : { content: r.content, structured_content: r.structuredContent },
            error: r.transportError ? { message: r.text } : null,
            status: r.isError ? 'failed' : 'completed',
          },
        });
      },
    },
  });
  await tools.close();

  for (const d of spec.permission_denials ?? []) {
    const item = {
      id: nextId(),
      type: 'command_execution',
      command: d.tool_name,
      aggregated_output: '',
      exit_code: null,
      status: 'in_progress',
    };
    await write({ type: 'item.started', item });
    await write({ type: 'item.completed', item: { ...item, status: 'declined' } });
  }
  if (text) await write({ type: 'item.completed', item: { id: nextId(), type: 'agent_message', text } });

  // Codex counts cached input inside input_tokens, and has no cache writes: they are plain input.
  const u = usageOf(spec);
  session.totals.input_tokens += u.input_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens;
  session.totals.cached_input_tokens += u.cache_read_input_tokens;
  session.totals.output_tokens += u.output_tokens;
  saveSession(dir, session);

  const subtype = spec.subtype ?? 'success';
  if (subtype === 'success') {
    await write({ type: 'turn.completed', usage: { ...session.totals } });
    return exitWith(spec.exit ?? 0);
  }
  const message = `scripted failure: ${subtype}`;
  await write({ type: 'error', message });
  await write({ type: 'turn.failed', error: { message } });
  return exitWith(spec.exit ?? 1);
}
