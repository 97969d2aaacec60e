/** Claude Code's stream-json output lines, as the scripted agent prints them. */
import { randomUUID } from 'node:crypto';

export interface Totals {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
  cost_usd: number;
}

export const initLine = (
  session_id: string,
  model: string,
  tools: string[],
  cwd: string,
  mcp_servers: Array<{ name: string; status: string }> = [],
) => ({
  type: 'system',
  subtype: 'init',
  session_id,
  model,
  cwd,
  tools,
  mcp_servers,
  permissionMode: 'default',
  apiKeySource: 'none',
  uuid: randomUUID(),
});

export const assistantLine = (session_id: string, model: string, content: unknown[]) => ({
  type: 'assistant',
  session_id,
  parent_tool_use_id: null,
  message: {
    id: `msg_${randomUUID().replace(/-/g, '')}`,
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: null,
  },
  uuid: randomUUID(),
});

/** A user turn as Claude Code replays it on stdout (here: the turn a channel event started). */
export const userTextLine = (session_id: string, text: string) => ({
  type: 'user',
  session_id,
  parent_tool_use_id: null,
  message: { role: 'user', content: [{ type: 'text', text }] },
  uuid: randomUUID(),
});

export const toolResultLine = (session_id: string, tool_use_id: string, text: string, is_error: boolean) => ({
  type: 'user',
  session_id,
  parent_tool_use_id: null,
  message: { role: 'user', content: [{ type: 'tool_result', tool_use_id, content: text, is_error }] },
  uuid: randomUUID(),
});

export function resultLine(r: {
  session_id: string;
  model: string;
  subtype: string;
  text: string;
  num_turns: number;
  duration_ms: number;
  usage: Omit<Totals, 'cost_usd'>;
  totals: Totals;
  permission_denials: Array<{ tool_name: string; tool_input?: unknown }>;
}) {
  const is_error = r.subtype !== 'success';
  return {
    type: 'result',
    subtype: r.subtype,
    is_error,
    duration_ms: r.duration_ms,
    duration_api_ms: r.duration_ms,
    num_turns: r.num_turns,
    ...(is_error ? {} : { result: r.text }),
    session_id: r.session_id,
    total_cost_usd: r.totals.cost_usd,
    usage: { ...r.usage, service_tier: 'standard' },
    modelUsage: {
      [r.model]: {
        inputTokens: r.totals.input_tokens,
        outputTokens: r.totals.output_tokens,
        cacheReadInputTokens: r.totals.cache_read_input_tokens,
        cacheCreationInputTokens: r.totals.cache_creation_input_tokens,
        webSearchRequests: 0,
        costUSD: r.totals.cost_usd,
        contextWindow: 200000,
      },
    },
    permission_denials: r.permission_denials.map((d, i) => ({
      tool_name: d.tool_name,
      tool_use_id: `toolu_denied_${i}`,
      tool_input: d.tool_input ?? {},
    })),
    uuid: randomUUID(),
  };
}
