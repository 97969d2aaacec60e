/**
 * Command-line flags from an operation's zod input: `--agent-id <value>` per field, always kebab-case
 * (`agent_id` and `timeoutSeconds` alike; a camelCase field's own spelling stays a hidden alias), typed
 * by the schema (strings, numbers, booleans as `--x`, `--x=false` or `--no-x`, arrays by comma or
 * repetition, objects as JSON), and the typed input they add up to.
 */
import { Option } from 'commander';
import type { z } from 'zod';
import { SwitchboardError } from '../../client/errors.js';

type Kind = 'string' | 'number' | 'boolean' | 'array' | 'object' | 'union' | 'any';

export interface FieldFlag {
  /** The input field (snake_case). */
  field: string;
  /** The option's attribute name as commander stores it (camelCase of the flag). */
  key: string;
  flag: string;
  /** The field's earlier flag spelling (camelCase fields: `--timeoutSeconds`), kept as a hidden alias. */
  legacyFlag?: string;
  kind: Kind;
  required: boolean;
  /** For arrays: the kind of each item; for unions: the kinds it accepts. */
  items?: Kind;
  variants?: Kind[];
  choices?: string[];
  description: string;
}

const WRAPPERS = new Set([
  'optional',
  'default',
  'prefault',
  'nullable',
  'readonly',
  'pipe',
  'catch',
  'nonoptional',
]);

/** Flags every client command has; a field with one of these names gets `--field-<name>` instead. */
export const RESERVED_FLAGS = new Set(['url', 'token', 'admin', 'home', 'json', 'input', 'help', 'version']);

function defOf(schema: z.ZodType): any {
  return (schema as any)._zod?.def;
}

function unwrap(schema: z.ZodType): { inner: z.ZodType; optional: boolean; description?: string } {
  let current = schema;
  let optional = false;
  let description = (schema as any).description as string | undefined;
  let def = defOf(current);
  while (def && WRAPPERS.has(def.type)) {
    if (def.type === 'optional' || def.type === 'default' || def.type === 'prefault') optional = true;
    current = def.innerType ?? def.in;
    description ??= (current as any).description;
    def = defOf(current);
  }
  return { inner: current, optional, description };
}

function kindOf(schema: z.ZodType): Kind {
  const type = defOf(unwrap(schema).inner)?.type;
  switch (type) {
    case 'string':
    case 'enum':
    case 'literal':
    case 'template_literal':
      return 'string';
    case 'number':
    case 'int':
    case 'bigint':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array':
      return 'array';
    case 'object':
    case 'record':
      return 'object';
    case 'union':
      return 'union';
    default:
      return 'any';
  }
}

/** `agent_id` → `agent-id`, `timeoutSeconds` → `timeout-seconds`. */
export const kebab = (name: string): string =>
  name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/_/g, '-')
    .toLowerCase();
const camel = (flag: string): string => flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

export function fieldFlags(input: z.ZodObject): FieldFlag[] {
  const shape = input.shape as Record<string, z.ZodType>;
  return Object.entries(shape).map(([field, schema]) => {
    const { inner, optional, description } = unwrap(schema);
    const kind = kindOf(schema);
    const def = defOf(inner);
    const flag = RESERVED_FLAGS.has(kebab(field)) ? `field-${kebab(field)}` : kebab(field);
    const spec: FieldFlag = {
      field,
      key: camel(flag),
      flag,
      kind,
      required: !optional,
      description: description ?? '',
    };
    // Until now a camelCase field's flag was spelled as the field; scripts using it keep working.
    const legacy = field.replace(/_/g, '-');
    if (legacy !== flag && !RESERVED_FLAGS.has(legacy)) spec.legacyFlag = legacy;
    if (kind === 'array') spec.items = kindOf(def.element);
    if (kind === 'union') spec.variants = (def.options as z.ZodType[]).map(kindOf);
    if (def?.type === 'enum') spec.choices = Object.values(def.entries as Record<string, string>);
    return spec;
  });
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** A field's options: the flag itself, plus hidden `--no-` (booleans) and its old spelling. */
function optionsFor(f: FieldFlag, flag: string, hidden: boolean): Option[] {
  const hint = [f.description, f.required ? '(required)' : ''].filter(Boolean).join(' ');
  if (f.kind === 'boolean') {
    const option = new Option(
      `--${flag} [true|false]`,
      `${hint || `set ${f.field}`} (--${flag}=false or --no-${flag}: false)`,
    );
    return [option.hideHelp(hidden), new Option(`--no-${flag}`, `set ${f.field} to false`).hideHelp()];
  }
  const placeholder =
    f.kind === 'number'
      ? '<number>'
      : f.kind === 'object'
        ? '<json>'
        : f.kind === 'array'
          ? '<values...>'
          : '<value>';
  const extra =
    f.kind === 'array' ? ' (comma-separated or repeated)' : f.kind === 'object' ? ' (a JSON object)' : '';
  const option = new Option(`--${flag} ${placeholder}`, `${hint}${extra}`.trim()).hideHelp(hidden);
  if (f.choices) option.choices(f.choices);
  if (f.kind === 'array' || f.kind === 'union') option.argParser(collect);
  return [option];
}

/**
 * The commander options for these fields. An old camelCase spelling stores under the same attribute
 * (commander camel-cases `--timeout-seconds` to `timeoutSeconds` too), so either spelling fills the field.
 */
export function toOptions(flags: FieldFlag[]): Option[] {
  return flags.flatMap((f) => [
    ...optionsFor(f, f.flag, false),
    ...(f.legacyFlag ? optionsFor(f, f.legacyFlag, true) : []),
  ]);
}

function bad(flag: string, what: string, value: string): SwitchboardError {
  return new SwitchboardError('invalid_input', `--${flag} expects ${what}, got ${JSON.stringify(value)}`);
}

function parseJsonObject(flag: string, value: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(value);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed;
  } catch {
    /* reported below */
  }
  throw bad(flag, 'a JSON object', value);
}

function scalar(flag: string, kind: Kind | undefined, value: string): unknown {
  if (kind === 'number') {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw bad(flag, 'a number', value);
    return n;
  }
  if (kind === 'boolean') {
    if (/^(true|1|yes)$/i.test(value)) return true;
    if (/^(false|0|no)$/i.test(value)) return false;
    throw bad(flag, 'true or false', value);
  }
  if (kind === 'object') return parseJsonObject(flag, value);
  if (kind === 'any') {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}

const splitList = (values: string[]): string[] =>
  values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');

function unionValue(f: FieldFlag, values: string[]): unknown {
  const variants = f.variants ?? [];
  const last = values[values.length - 1];
  if (variants.includes('array') && (values.length > 1 || last.includes(','))) return splitList(values);
  if (variants.includes('object') && /^\s*\{/.test(last)) return parseJsonObject(f.flag, last);
  if (variants.includes('string')) return last;
  if (variants.includes('number')) return scalar(f.flag, 'number', last);
  if (variants.includes('array')) return splitList(values);
  return scalar(f.flag, 'any', last);
}

/** Turns parsed commander options into the operation's input (on top of `base`, e.g. from --input). */
export function inputFromOptions(
  flags: FieldFlag[],
  options: Record<string, unknown>,
  base: Record<string, unknown> = {},
): Record<string, unknown> {
  const input: Record<string, unknown> = { ...base };
  for (const f of flags) {
    const raw = options[f.key];
    if (raw === undefined) continue;
    if (f.kind === 'boolean')
      input[f.field] = typeof raw === 'boolean' ? raw : scalar(f.flag, 'boolean', String(raw));
    else if (f.kind === 'array')
      input[f.field] = splitList(raw as string[]).map((v) => scalar(f.flag, f.items, v));
    else if (f.kind === 'union') input[f.field] = unionValue(f, raw as string[]);
    else input[f.field] = scalar(f.flag, f.kind, String(raw));
  }
  return input;
}

/** `--input '<json>'`: the whole input as one JSON object. */
export function parseInputJson(value: string | undefined): Record<string, unknown> {
  if (value === undefined) return {};
  try {
    const parsed = JSON.parse(value);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed;
  } catch {
    /* reported below */
  }
  throw new SwitchboardError('invalid_input', `--input expects a JSON object, e.g. --input '{"limit": 5}'`);
}
