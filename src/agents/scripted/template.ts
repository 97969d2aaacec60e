/** `{{name}}` placeholders in script text and tool arguments. */

export interface TemplateVars {
  input: string;
  turn: number;
  session_id: string;
  tool_results: string[];
}

/** The value of a `NAME: value` line in the user turn (e.g. `vote_id: vote_...` in a consensus prompt). */
function inputField(input: string, field: string): string {
  for (const line of input.split('\n')) {
    const m = /^\s*([A-Za-z0-9_.-]+)\s*:\s*(.*)$/.exec(line);
    if (m && m[1] === field) return m[2]!.trim();
  }
  return '';
}

export function fill(text: string, vars: TemplateVars): string {
  return text.replace(/\{\{\s*([a-zA-Z0-9_.]+)\s*\}\}/g, (whole, name: string) => {
    if (name === 'input') return vars.input;
    if (name === 'turn') return String(vars.turn);
    if (name === 'session_id') return vars.session_id;
    if (name === 'tool_result') return vars.tool_results.at(-1) ?? '';
    if (name.startsWith('tool_results.')) return vars.tool_results[Number(name.slice(13))] ?? '';
    if (name.startsWith('env.')) return process.env[name.slice(4)] ?? '';
    if (name.startsWith('input_field.')) return inputField(vars.input, name.slice(12));
    return whole;
  });
}

/** Fills every string inside a JSON value. */
export function fillDeep(value: unknown, vars: TemplateVars): unknown {
  if (typeof value === 'string') return fill(value, vars);
  if (Array.isArray(value)) return value.map((v) => fillDeep(v, vars));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillDeep(v, vars)]));
  }
  return value;
}
