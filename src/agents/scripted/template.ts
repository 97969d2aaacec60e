/** `{{name}}` placeholders in script text and tool arguments. */

export interface TemplateVars {
  input: string;
  turn: number;
  session_id: string;
  tool_results: string[];
  /** The channel event that started the turn (claude-code's channel host): its server, content and meta. */
  channel?: { source: string; content: string; meta: Record<string, string> };
  /** The turn's permission prompt: allow or deny, and who answered (a channel, `local`, `timeout`). */
  permission?: { behavior: string; by: string };
}

/** The value of a `NAME: value` line in the user turn (e.g. `vote_id: vote_...` in a consensus prompt). */
function inputField(input: string, field: string): string {
  for (const line of input.split('\n')) {
    const m = /^\s*([A-Za-z0-9_.-]+)\s*:\s*(.*)$/.exec(line);
    if (m && m[1] === field) return m[2]!.trim();
  }
  return '';
}

/**
 * An attribute of the first `<channel …>` tag that starts a line of the user turn (the event that woke
 * an instance; a system prompt put ahead of the turn mentions such tags mid-line).
 */
function channelAttr(input: string, attr: string): string {
  const tag = /^<channel\s[^>]*>/m.exec(input)?.[0] ?? '';
  const m = new RegExp(`\\s${attr.replace(/[^A-Za-z0-9_]/g, '')}="([^"]*)"`).exec(tag);
  if (!m) return '';
  return m[1]!
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/**
 * `{{channel.NAME}}`: in a turn a channel event started (claude-code's channel host), `source`,
 * `content` or a meta value of the event; otherwise an attribute of the `<channel …>` tag in the input.
 */
function channelField(vars: TemplateVars, key: string): string {
  const channel = vars.channel;
  if (!channel) return channelAttr(vars.input, key);
  if (key === 'source') return channel.source;
  if (key === 'content') return channel.content;
  return Object.hasOwn(channel.meta, key) ? channel.meta[key]! : '';
}

const PLACEHOLDER = /\{\{\s*([a-zA-Z0-9_.]+)\s*\}\}/g;

/**
 * Variables `{{env.NAME}}` never reads (empty instead): the stand-in's own token and anything named
 * like a secret, so a script cannot print a credential into the output the hub stores.
 */
const SECRET_NAME = /TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|API_?KEY|PRIVATE/i;

export const secretEnvName = (name: string): boolean => SECRET_NAME.test(name);

/** The `{{env.NAME}}` placeholders in a text (the names), as fill would read them. */
export function envPlaceholders(text: string): string[] {
  const names: string[] = [];
  for (const m of text.matchAll(PLACEHOLDER)) if (m[1]!.startsWith('env.')) names.push(m[1]!.slice(4));
  return names;
}

export function fill(text: string, vars: TemplateVars): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => {
    if (name === 'input') return vars.input;
    if (name === 'turn') return String(vars.turn);
    if (name === 'session_id') return vars.session_id;
    if (name === 'tool_result') return vars.tool_results.at(-1) ?? '';
    if (name.startsWith('tool_results.')) return vars.tool_results[Number(name.slice(13))] ?? '';
    if (name.startsWith('env.'))
      return secretEnvName(name.slice(4)) ? '' : (process.env[name.slice(4)] ?? '');
    if (name.startsWith('input_field.')) return inputField(vars.input, name.slice(12));
    if (name === 'permission') return vars.permission?.behavior ?? '';
    if (name === 'permission_by') return vars.permission?.by ?? '';
    if (name.startsWith('channel.')) return channelField(vars, name.slice(8));
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
