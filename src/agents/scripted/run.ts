/**
 * The scripted agent: speaks Claude Code's stream-json protocol on stdin/stdout and answers each
 * user turn as its script says (text, delays, hangs, crashes, exit codes, usage and cost, permission
 * denials, and real calls to the hub's MCP tools).
 */
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { McpTools } from './mcp.js';
import { assistantLine, initLine, resultLine, type Totals, toolResultLine } from './protocol.js';
import type { Script, TurnSpec } from './script.js';
import { fill, fillDeep, type TemplateVars } from './template.js';

export interface ScriptedOptions {
  script: Script;
  mcpConfig?: string;
  sessionId?: string;
  model?: string;
  maxTurns?: number;
  maxBudgetUsd?: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const forever = () => new Promise<never>(() => setInterval(() => {}, 1 << 30));

function write(obj: unknown): Promise<void> {
  return new Promise((resolve) => process.stdout.write(`${JSON.stringify(obj)}\n`, () => resolve()));
}

async function exitWith(code: number, why?: string): Promise<never> {
  if (why) process.stderr.write(`${why}\n`);
  await new Promise<void>((r) => process.stdout.write('', () => r()));
  process.exit(code);
}

/** The text of a user turn line: a string content or the text blocks of a content array. */
function userText(line: string): string | null {
  let msg: { type?: string; message?: { content?: unknown } };
  try {
    msg = JSON.parse(line);
  } catch {
    return null;
  }
  if (msg?.type !== 'user') return null;
  const c = msg.message?.content;
  if (typeof c === 'string') return c;
  if (Array.isArray(c))
    return c.map((b: { text?: unknown }) => (typeof b?.text === 'string' ? b.text : '')).join('');
  return null;
}

export async function runScripted(opts: ScriptedOptions): Promise<void> {
  const { script } = opts;
  const model = opts.model ?? script.model ?? 'scripted';
  const session = opts.sessionId ?? randomUUID();
  const tools = new McpTools(opts.mcpConfig);
  const totals: Totals = {
    input_tokens: 0,
    output_tokens: 0,
    cache_read_input_tokens: 0,
    cache_creation_input_tokens: 0,
    cost_usd: 0,
  };
  if (script.ignore_sigterm) process.on('SIGTERM', () => {});

  const start = script.startup ?? {};
  if (start.delay_ms) await sleep(start.delay_ms);
  if (start.hang) await forever();
  if (start.crash !== undefined && start.crash !== false) {
    await exitWith(start.crash === true ? 1 : start.crash, 'scripted agent: crash at startup');
  }
  await write(initLine(session, model, ['Bash', 'Read', 'Edit'], process.cwd()));

  let turn = 0;
  let toolSeq = 0;
  const runTurn = async (input: string) => {
    turn += 1;
    const began = Date.now();
    const spec: TurnSpec = script.turns?.[turn - 1] ?? script.default ?? { reply: { echo: true } };
    const vars: TemplateVars = { input, turn, session_id: session, tool_results: [] };
    if (spec.delay_ms) await sleep(spec.delay_ms);
    if (spec.hang) await forever();
    for (const call of spec.tool_calls ?? []) {
      const id = `toolu_${String(++toolSeq).padStart(4, '0')}`;
      const args = fillDeep(call.arguments ?? {}, vars) as Record<string, unknown>;
      const server = call.server ?? 'switchboard';
      await write(
        assistantLine(session, model, [
          { type: 'tool_use', id, name: `mcp__${server}__${call.tool}`, input: args },
        ]),
      );
      const result = await tools.call(call.tool, args, call.server);
      vars.tool_results.push(result.text);
      await write(toolResultLine(session, id, result.text, result.isError));
    }
    if (spec.crash !== undefined && spec.crash !== false) {
      await exitWith(spec.crash === true ? 1 : spec.crash, `scripted agent: crash in turn ${turn}`);
    }
    const r = spec.reply ?? { echo: true as const };
    const text = typeof r === 'string' ? r : 'echo' in r ? input : fill(r.template, vars);
    await write(assistantLine(session, model, [{ type: 'text', text }]));

    const usage = {
      input_tokens: spec.usage?.input_tokens ?? 100,
      output_tokens: spec.usage?.output_tokens ?? 20,
      cache_read_input_tokens: spec.usage?.cache_read_input_tokens ?? 0,
      cache_creation_input_tokens: spec.usage?.cache_creation_input_tokens ?? 0,
    };
    for (const k of Object.keys(usage) as Array<keyof typeof usage>) totals[k] += usage[k];
    totals.cost_usd = Math.round((totals.cost_usd + (spec.cost_usd ?? 0)) * 1e9) / 1e9;
    let subtype: string = spec.subtype ?? 'success';
    if (opts.maxTurns !== undefined && turn > opts.maxTurns) subtype = 'error_max_turns';
    if (opts.maxBudgetUsd !== undefined && totals.cost_usd > opts.maxBudgetUsd)
      subtype = 'error_max_budget_usd';
    await write(
      resultLine({
        session_id: session,
        model,
        subtype,
        text,
        num_turns: turn,
        duration_ms: Date.now() - began,
        usage,
        totals,
        permission_denials: spec.permission_denials ?? [],
      }),
    );
    if (spec.exit !== undefined) await exitWith(spec.exit);
  };

  // One turn at a time, in the order they arrive; stdin closed and nothing left: exit 0.
  let chain: Promise<void> = Promise.resolve();
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const text = userText(line.trim());
    if (text === null) return;
    chain = chain.then(() => runTurn(text));
  });
  await new Promise<void>((resolve) => rl.on('close', () => resolve()));
  await chain;
  await tools.close();
  await exitWith(0);
}
