/** One event model for every agent CLI: adapters turn each CLI's stdout lines into these. */

export interface TokenUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
}

/** Cumulative usage of one model over the whole session (Claude Code's `modelUsage`). */
export interface ModelUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
  cost_usd: number;
}

export interface PermissionDenial {
  tool_name: string;
  tool_input?: unknown;
}

export interface TurnResult {
  kind: 'result';
  /** True only for a clean success: right subtype, no error flag, no permission denied. */
  ok: boolean;
  subtype: string;
  /** Why the turn failed, in words, when it did. */
  failure: string | null;
  text: string | null;
  session_id: string | null;
  num_turns: number | null;
  /** This turn's usage. */
  usage: TokenUsage | null;
  /**
   * The session's (thread's) token totals the CLI reported at this turn's end, for CLIs that report
   * running totals instead of the turn's own figures (codex); the turn's usage is the difference.
   */
  session_usage?: TokenUsage | null;
  /** Session totals by model, when the CLI reports them. */
  model_usage: Record<string, ModelUsage> | null;
  /** Session cost so far, when the CLI reports it. */
  total_cost_usd: number | null;
  permission_denials: PermissionDenial[];
}

export type AgentEvent =
  | { kind: 'init'; session_id: string | null; model: string | null; tools: string[] }
  | { kind: 'text'; text: string }
  | { kind: 'tool_use'; id: string; name: string; input: unknown }
  | { kind: 'tool_result'; id: string; content: string; is_error: boolean }
  | TurnResult
  | { kind: 'error'; message: string }
  /** The CLI's answer to a control request on stdin (Claude Code's initialize, interrupt). */
  | { kind: 'control_response'; request_id: string; ok: boolean; error: string | null };

export const emptyUsage = (): TokenUsage => ({
  input_tokens: 0,
  output_tokens: 0,
  cache_read_input_tokens: 0,
  cache_creation_input_tokens: 0,
});

/** A number from untrusted JSON, or 0. */
export const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
