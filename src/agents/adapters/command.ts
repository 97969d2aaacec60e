/**
 * Any program: each user turn is one line on its stdin; each stdout line is assistant text, or an
 * event when it is a JSON object `{"type":"text"|"error"|"result", ...}`. Without result lines the
 * process exit ends the turn: exit code 0 is success, anything else a failure.
 */
import { childEnv } from './env.js';
import { type AgentEvent, num } from './events.js';
import type { SessionAdapter } from './types.js';

function jsonEvent(line: string): AgentEvent[] | null {
  if (!line.startsWith('{')) return null;
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  if (o.type === 'text' && typeof o.text === 'string') return [{ kind: 'text', text: o.text }];
  if (o.type === 'error') return [{ kind: 'error', message: String(o.message ?? 'error') }];
  if (o.type === 'result') {
    const failed = o.is_error === true || (typeof o.subtype === 'string' && o.subtype !== 'success');
    const usage = o.usage as Record<string, unknown> | undefined;
    return [
      {
        kind: 'result',
        ok: !failed,
        subtype: typeof o.subtype === 'string' ? o.subtype : failed ? 'error' : 'success',
        failure: failed ? 'the program reported an error result' : null,
        text: typeof o.result === 'string' ? o.result : null,
        session_id: null,
        num_turns: null,
        usage: usage
          ? {
              input_tokens: num(usage.input_tokens),
              output_tokens: num(usage.output_tokens),
              cache_read_input_tokens: 0,
              cache_creation_input_tokens: 0,
            }
          : null,
        model_usage: null,
        total_cost_usd: typeof o.total_cost_usd === 'number' ? o.total_cost_usd : null,
        permission_denials: [],
      },
    ];
  }
  return null;
}

export const command: SessionAdapter = {
  name: 'command',
  mode: 'session',
  defaultProgram: '(command)',
  resumable: false,
  reportsCost: false,
  resultEvents: false,
  launch(spec) {
    const [file, ...args] = spec.command ?? [];
    if (!file) throw new Error('the command adapter needs command: [program, ...args]');
    return { file, args, env: childEnv(spec.baseEnv, spec.extraEnv) };
  },
  encodeTurn: (text) => `${text.replace(/\r?\n/g, ' ')}\n`,
  parser: () => (line) => {
    const trimmed = line.trimEnd();
    if (!trimmed) return [];
    return jsonEvent(trimmed.trim()) ?? [{ kind: 'text', text: trimmed }];
  },
};
