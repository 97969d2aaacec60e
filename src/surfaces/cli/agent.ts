/**
 * `switchboard agent --script FILE`: the scripted agent. It accepts Claude Code's headless flags
 * (`-p --output-format stream-json --input-format stream-json --verbose --mcp-config ...`), so the
 * hub drives it exactly as it drives `claude`.
 */
import type { Command } from 'commander';
import { runScripted } from '../../agents/scripted/run.js';
import { loadScript } from '../../agents/scripted/script.js';

interface AgentFlags {
  script: string;
  mcpConfig?: string;
  sessionId?: string;
  resume?: string;
  model?: string;
  maxTurns?: string;
  maxBudgetUsd?: string;
}

const number = (v: string | undefined, flag: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`${flag} needs a number, got ${v}`);
  return n;
};

export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description(
      "Run a scripted agent that speaks Claude Code's stream-json protocol (rehearse without a model)",
    )
    .requiredOption('--script <file>', 'the JSON script (see the README: Rehearse with scripted agents)')
    .option('-p, --print', 'accepted for compatibility with claude -p')
    .option('--output-format <format>', 'stream-json (the only one spoken)')
    .option('--input-format <format>', 'stream-json (the only one spoken)')
    .option('--verbose', 'accepted for compatibility')
    .option('--mcp-config <file>', 'MCP servers the script may call tools of')
    .option('--session-id <uuid>', 'the session id to report')
    .option('--resume <session_id>', 'continue this session: its id is reported in init and results')
    .option('--model <name>', 'the model name to report')
    .option('--append-system-prompt <text>', 'accepted and ignored')
    .option('--max-turns <n>', 'past this many turns, results are error_max_turns')
    .option('--max-budget-usd <usd>', 'past this cost, results are error_max_budget_usd')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async (flags: AgentFlags) => {
      const script = loadScript(flags.script);
      await runScripted({
        script,
        mcpConfig: flags.mcpConfig,
        sessionId: flags.sessionId,
        resume: flags.resume,
        model: flags.model,
        maxTurns: number(flags.maxTurns, '--max-turns'),
        maxBudgetUsd: number(flags.maxBudgetUsd, '--max-budget-usd'),
      });
    });
}
