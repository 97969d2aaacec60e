/**
 * `switchboard agent --script FILE [--protocol claude-code|codex|gemini]`: the scripted agent, a
 * stand-in for an agent CLI with no model behind it.
 *
 * - claude-code (default): accepts Claude Code's headless flags (`-p --output-format stream-json
 *   --input-format stream-json --verbose --mcp-config ...`), so the hub drives it exactly as `claude`.
 * - codex / gemini: everything after `--script FILE --protocol P` is the CLI's own argv
 *   (`exec --json ... -` for codex, `--output-format stream-json ... --prompt TEXT` for gemini), read
 *   verbatim: commander does not parse it, so a prompt that looks like an option stays the prompt.
 */
import { type Command, Option } from 'commander';
import type { ScriptedProtocol } from '../../agents/adapters/scripted.js';
import { PROTOCOLS, perTurnRunner } from '../../agents/scripted/protocols.js';
import { runScripted } from '../../agents/scripted/run.js';
import { loadScript } from '../../agents/scripted/script.js';

interface AgentFlags {
  script: string;
  protocol?: ScriptedProtocol;
  mcpConfig?: string;
  sessionId?: string;
  resume?: string;
  model?: string;
  maxTurns?: string;
  maxBudgetUsd?: string;
  dangerouslyLoadDevelopmentChannels?: string[];
  channels?: string[];
}

const number = (v: string | undefined, flag: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`${flag} needs a number, got ${v}`);
  return n;
};

/**
 * The stand-in's own leading options (`--script FILE` and `--protocol P`, in either order, `=` forms
 * too) and the arguments after them, untouched.
 */
export function splitStandInArgs(raw: string[]): { script?: string; protocol?: string; rest: string[] } {
  const out: { script?: string; protocol?: string } = {};
  let i = 0;
  while (i < raw.length) {
    const m = /^--(script|protocol)(?:=([\s\S]*))?$/.exec(raw[i]!);
    if (!m) break;
    const value = m[2] ?? raw[i + 1];
    if (value === undefined) break;
    out[m[1] as 'script' | 'protocol'] = value;
    i += m[2] === undefined ? 2 : 1;
  }
  return { ...out, rest: raw.slice(i) };
}

export function registerAgent(program: Command): void {
  // The program's own options (--version) stop at the subcommand, so nothing in a stand-in's argv
  // (a gemini prompt is an argument) is taken for them.
  program.enablePositionalOptions();
  const agent = program
    .command('agent')
    .description(
      'Run a scripted agent: a stand-in for Claude Code (stream-json), codex (exec --json) or gemini ' +
        '(stream-json) with no model behind it',
    )
    .requiredOption('--script <file>', 'the JSON script (see the README: Rehearse with scripted agents)')
    .addOption(
      new Option(
        '--protocol <name>',
        'the CLI to stand in for; for codex and gemini, put it right after --script',
      )
        .choices(PROTOCOLS)
        .default('claude-code'),
    )
    .option('-p, --print', 'accepted for compatibility with claude -p')
    .option('--output-format <format>', 'stream-json (the only one spoken)')
    .option('--input-format <format>', 'stream-json (the only one spoken)')
    .option('--verbose', 'accepted for compatibility')
    .option('--mcp-config <file>', 'MCP servers the script may call tools of')
    .option('--allowedTools <tools...>', 'accepted and ignored (every tool is allowed)')
    .option('--permission-mode <mode>', 'accepted and ignored')
    .option('--session-id <uuid>', 'the session id to report')
    .option('--resume <session_id>', 'continue this session: its id is reported in init and results')
    .option('--model <name>', 'the model name to report')
    .option('--append-system-prompt <text>', 'accepted and ignored')
    .option('--max-turns <n>', 'past this many turns, results are error_max_turns')
    .option('--max-budget-usd <usd>', 'past this cost, results are error_max_budget_usd')
    .option(
      '--dangerously-load-development-channels <entries...>',
      'host these servers of --mcp-config as channels (server:<name>): their events become turns',
    )
    .option('--channels <entries...>', 'the same, as for allow-listed channels (server:<name>)')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async (flags: AgentFlags, cmd: Command) => {
      const pre = splitStandInArgs(cmd.parent?.args.slice(1) ?? []);
      const runner = perTurnRunner(pre.protocol);
      if (runner) {
        const file = pre.script ?? flags.script;
        await runner(loadScript(file), file, pre.rest);
        return;
      }
      if (perTurnRunner(flags.protocol))
        throw new Error(
          `put --script and --protocol ${flags.protocol} before the ${flags.protocol} arguments`,
        );
      const script = loadScript(flags.script);
      await runScripted({
        script,
        scriptFile: flags.script,
        mcpConfig: flags.mcpConfig,
        sessionId: flags.sessionId,
        resume: flags.resume,
        model: flags.model,
        maxTurns: number(flags.maxTurns, '--max-turns'),
        maxBudgetUsd: number(flags.maxBudgetUsd, '--max-budget-usd'),
        channels: [
          {
            flag: '--dangerously-load-development-channels',
            entries: flags.dangerouslyLoadDevelopmentChannels ?? [],
          },
          { flag: '--channels', entries: flags.channels ?? [] },
        ],
      });
    });
  // For codex and gemini, stop parsing at the first argument that is not the stand-in's own, and take
  // no --help from the CLI's argv: the rest is theirs.
  program.hook('preSubcommand', (root, sub) => {
    if (sub !== agent || !perTurnRunner(splitStandInArgs(root.args.slice(1)).protocol)) return;
    sub.passThroughOptions();
    sub.helpOption(false);
  });
}
