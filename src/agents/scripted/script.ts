/**
 * The scripted agent's script: a JSON file that says how to answer each user turn, whichever CLI the
 * agent stands in for (claude-code, codex, gemini). Documented in the README ("Rehearse with
 * scripted agents").
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const count = z.number().int().min(0);

export const usageSpec = z.strictObject({
  input_tokens: count.optional(),
  output_tokens: count.optional(),
  cache_read_input_tokens: count.optional(),
  cache_creation_input_tokens: count.optional(),
});

const reply = z.union([
  z.string().describe('Fixed text'),
  z.strictObject({ echo: z.literal(true) }).describe('The user turn, back'),
  z
    .strictObject({ template: z.string() })
    .describe(
      'Text with {{input}}, {{input_field.NAME}} (a `NAME: value` line of the input), {{channel.NAME}} (an attribute of a <channel> event), {{turn}}, {{session_id}}, {{tool_result}}, {{tool_results.N}}, {{permission}}, {{permission_by}}, {{env.NAME}} (admin only)',
    ),
]);

export const turnSpec = z.strictObject({
  /** Wait this long before answering. */
  delay_ms: count.max(3_600_000).optional(),
  /**
   * Calls to the hub's MCP tools, in order; string arguments are templates. The servers are those of
   * --mcp-config (claude-code), the `-c mcp_servers.*` overrides (codex) or the settings file (gemini).
   */
  tool_calls: z
    .array(
      z.strictObject({
        tool: z.string().min(1),
        arguments: z.record(z.string(), z.unknown()).optional(),
        /** The MCP server in the config (default: the first). */
        server: z.string().optional(),
      }),
    )
    .optional(),
  reply: reply.optional(),
  /** This turn's usage (default 100 input, 20 output tokens). */
  usage: usageSpec.optional(),
  /** This turn's cost in USD (default 0; codex and gemini report no cost, so it is ignored there). */
  cost_usd: z.number().min(0).optional(),
  /**
   * claude-code: ask a permission before the tool calls, as Claude Code does with channels: the
   * prompt goes to every channel that relays permissions and the first answer wins (a channel's, or
   * `local` after `after_ms`); none within `timeout_ms` (default 120 s): denied. A denial counts in
   * the result's permission_denials and skips the tool calls of that name.
   */
  permission: z
    .strictObject({
      tool_name: z.string().min(1).max(200),
      description: z.string().max(2000).optional(),
      input_preview: z.string().max(2000).optional(),
      local: z
        .strictObject({ behavior: z.enum(['allow', 'deny']), after_ms: count.max(3_600_000).optional() })
        .optional(),
      timeout_ms: count.max(3_600_000).optional(),
    })
    .optional(),
  permission_denials: z
    .array(z.strictObject({ tool_name: z.string(), tool_input: z.unknown().optional() }))
    .optional(),
  /** The result's subtype (default success); codex and gemini fail the turn for any other. */
  subtype: z
    .enum(['success', 'error_max_turns', 'error_during_execution', 'error_max_budget_usd'])
    .optional(),
  /** Never answer this turn, ignore stdin from here on and do not exit. */
  hang: z.boolean().optional(),
  /** Exit without a result event: true (code 1) or the exit code. */
  crash: z.union([z.boolean(), z.number().int().min(0).max(255)]).optional(),
  /** After the result event, exit with this code. */
  exit: z.number().int().min(0).max(255).optional(),
});

export const scriptSchema = z.strictObject({
  /** The model name reported in init, assistant and modelUsage (default scripted). */
  model: z.string().min(1).optional(),
  /** Before init: delay, hang, or crash at start (codex, gemini: at the start of every turn's process). */
  startup: z
    .strictObject({
      delay_ms: count.max(3_600_000).optional(),
      hang: z.boolean().optional(),
      crash: z.union([z.boolean(), z.number().int().min(0).max(255)]).optional(),
    })
    .optional(),
  /** Ignore SIGTERM (to rehearse a stuck CLI: only SIGKILL stops it). */
  ignore_sigterm: z.boolean().optional(),
  /** Turn 1, 2, ...: one spec each. */
  turns: z.array(turnSpec).optional(),
  /** Every turn past the list (default: echo). */
  default: turnSpec.optional(),
});

export type Script = z.output<typeof scriptSchema>;
export type TurnSpec = z.output<typeof turnSpec>;

export function loadScript(file: string): Script {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read script ${file}: ${(err as Error).message}`);
  }
  const parsed = scriptSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`script ${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  return parsed.data;
}
