/** Usage and cost from the CLI's own result events: session totals (cumulative modelUsage), never estimates. */
import type { TokenUsage, TurnResult } from '../../agents/adapters/events.js';

const FIELDS = [
  'input_tokens',
  'output_tokens',
  'cache_read_input_tokens',
  'cache_creation_input_tokens',
] as const satisfies ReadonlyArray<keyof TokenUsage>;
const sumOf = (u: TokenUsage) => FIELDS.reduce((n, k) => n + u[k], 0);

/**
 * A CLI that reports the session's running totals (codex): this turn is the difference from the last
 * totals it reported (kept as `by_model.session`). When a total went down, the CLI started counting
 * afresh (older codex restarts at a resume), and the report is this turn's alone.
 */
function afterSessionTotals(prev: Usage, totals: TokenUsage): Usage & { turn: TokenUsage } {
  const raw = prev.byModel.session as Partial<TokenUsage> | undefined;
  const last = raw && typeof raw === 'object' ? raw : undefined;
  const restarted = !last || FIELDS.some((k) => totals[k] < (last[k] ?? 0));
  const turn = { ...totals };
  if (!restarted) for (const k of FIELDS) turn[k] = totals[k] - (last[k] ?? 0);
  return {
    tokens: prev.tokens + sumOf(turn),
    costUsd: prev.costUsd,
    byModel: { ...prev.byModel, session: { ...totals } },
    turn,
  };
}

export interface Usage {
  tokens: number;
  costUsd: number;
  byModel: Record<string, unknown>;
}

const ZERO: Usage = { tokens: 0, costUsd: 0, byModel: {} };

/** Adds two by-model usage maps, model by model. */
function addByModel(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [model, u] of Object.entries(b)) {
    const prev = out[model] as Record<string, number> | undefined;
    if (!prev || typeof prev !== 'object') {
      out[model] = u;
      continue;
    }
    const sum: Record<string, number> = { ...prev };
    for (const [k, v] of Object.entries(u as Record<string, number>))
      if (typeof v === 'number') sum[k] = Math.round(((sum[k] ?? 0) + v) * 1e9) / 1e9;
    out[model] = sum;
  }
  return out;
}

/**
 * The instance's totals after a result. Claude Code's modelUsage and total_cost_usd are cumulative
 * over the process, so they replace what this process reported before: the totals are `base` (what
 * earlier processes of the instance used, before a restart or resume) plus them. A CLI that only
 * reports per-turn usage (codex, gemini) is added up turn by turn.
 */
export function afterResult(prev: Usage, r: TurnResult, base: Usage = ZERO): Usage & { turn?: TokenUsage } {
  if (r.session_usage) return afterSessionTotals(prev, r.session_usage);
  if (r.model_usage && Object.keys(r.model_usage).length > 0) {
    let tokens = 0;
    let cost = 0;
    for (const u of Object.values(r.model_usage)) {
      tokens += u.input_tokens + u.output_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens;
      cost += u.cost_usd;
    }
    return {
      tokens: base.tokens + tokens,
      costUsd: Math.round((base.costUsd + (r.total_cost_usd ?? cost)) * 1e9) / 1e9,
      byModel: addByModel(base.byModel, r.model_usage),
    };
  }
  const u = r.usage;
  const turnTokens = u
    ? u.input_tokens + u.output_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens
    : 0;
  return {
    tokens: prev.tokens + turnTokens,
    costUsd: r.total_cost_usd ?? prev.costUsd,
    byModel: prev.byModel,
  };
}
