/**
 * Templates in step inputs, `when` and `output`:
 * - `{{inputs.x}}` a workflow input; `{{steps.<id>.output.a.b}}` (or `.a[0]`) an earlier step's output;
 *   `{{steps.<id>.status}}`; `{{run.id}}`, `{{run.correlation_id}}`.
 * - A string that is exactly one `{{...}}` takes the referenced value as is (object, array, number);
 *   inside longer text the value is written in (objects as JSON, missing values as empty text).
 * - `when`: `<a> == <b>` or `<a> != <b>` compares both sides as text after templating (surrounding
 *   spaces and quotes removed); otherwise the templated value is tested: false, null, missing, 0, "",
 *   "false", "0", "no" and [] are false, everything else is true.
 */

const TEMPLATE = /\{\{\s*([^{}]*?)\s*\}\}/g;
const WHOLE = /^\{\{\s*([^{}]*?)\s*\}\}$/;
const REFERENCE = /^(inputs|steps|run)((?:\.[A-Za-z0-9_-]+|\[\d+\])*)$/;

export interface Scope {
  inputs: Record<string, unknown>;
  steps: Record<string, { status: string; output: unknown; error: string | null; attempts: number }>;
  run: { id: string; correlation_id: string };
}

/** The path segments of a reference (`steps.a.output.items[0]` → steps, a, output, items, 0); null if malformed. */
export function parseReference(expr: string): string[] | null {
  const m = REFERENCE.exec(expr);
  if (!m) return null;
  const rest = (m[2] ?? '').match(/\.[A-Za-z0-9_-]+|\[\d+\]/g) ?? [];
  return [m[1] as string, ...rest.map((s) => (s.startsWith('.') ? s.slice(1) : s.slice(1, -1)))];
}

/** Every reference expression in a value (strings inside objects and arrays too). */
export function referencesIn(value: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === 'string') for (const m of v.matchAll(TEMPLATE)) out.push(m[1] as string);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(value);
  return out;
}

function lookup(scope: Scope, expr: string): unknown {
  const path = parseReference(expr);
  if (!path) return undefined;
  let v: unknown = scope;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

const asText = (v: unknown): string =>
  v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);

/** Fills every template in `value` (deeply). */
export function render(value: unknown, scope: Scope): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value);
    if (whole) return lookup(scope, whole[1] as string) ?? null;
    return value.replace(TEMPLATE, (_, expr: string) => asText(lookup(scope, expr)));
  }
  if (Array.isArray(value)) return value.map((v) => render(v, scope));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, render(v, scope)]));
  }
  return value;
}

const unquote = (s: string) => s.trim().replace(/^(['"])(.*)\1$/, '$2');

function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (typeof v === 'string') return !['false', '0', 'no'].includes(v.trim().toLowerCase());
  if (Array.isArray(v)) return v.length > 0;
  return true;
}

/** Evaluates a `when` condition. */
export function condition(when: string, scope: Scope): boolean {
  const m = /^(.*?)\s*(==|!=)\s*(.*)$/s.exec(when);
  if (m) {
    const left = unquote(asText(render(m[1] as string, scope)));
    const right = unquote(asText(render(m[3] as string, scope)));
    return m[2] === '==' ? left === right : left !== right;
  }
  const negated = when.trim().startsWith('!');
  const value = render(negated ? when.trim().slice(1).trim() : when.trim(), scope);
  return negated ? !truthy(value) : truthy(value);
}
