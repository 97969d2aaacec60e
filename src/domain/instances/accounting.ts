/** Usage and cost from the CLI's own result events: session totals (cumulative modelUsage), never estimates. */
import type { TurnResult } from '../../agents/adapters/events.js';

export interface Usage {
  tokens: number;
  costUsd: number;
  byModel: Record<string, unknown>;
}

/**
 * The session totals after a result. Claude Code's modelUsage and total_cost_usd are cumulative, so
 * they replace the previous totals; a CLI that only reports per-turn usage is added up.
 */
export function afterResult(prev: Usage, r: TurnResult): Usage {
  if (r.model_usage && Object.keys(r.model_usage).length > 0) {
    let tokens = 0;
    let cost = 0;
    for (const u of Object.values(r.model_usage)) {
      tokens += u.input_tokens + u.output_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens;
      cost += u.cost_usd;
    }
    return { tokens, costUsd: r.total_cost_usd ?? cost, byModel: r.model_usage };
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
