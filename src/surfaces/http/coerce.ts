/**
 * Query strings carry only text. This turns `?limit=5&unread_only=true&to=a,b` into the types the
 * operation's zod schema expects, so GET routes validate like any other call.
 */
import type { z } from 'zod';

type Kind = 'number' | 'boolean' | 'array' | 'object' | 'string' | 'other';

function kindOf(schema: z.ZodType): Kind {
  let def = (schema as any)._zod?.def;
  while (def && ['optional', 'nullable', 'default', 'prefault', 'readonly', 'pipe'].includes(def.type)) {
    def = (def.innerType ?? def.in)?._zod?.def;
  }
  if (!def) return 'other';
  if (def.type === 'number' || def.type === 'int') return 'number';
  if (def.type === 'boolean') return 'boolean';
  if (def.type === 'array') return 'array';
  // `one or a list` (z.union([item, z.array(item)])): a query string always gives the list form.
  if (def.type === 'union' && def.options.some((o: z.ZodType) => kindOf(o) === 'array')) return 'array';
  if (def.type === 'object' || def.type === 'record') return 'object';
  if (def.type === 'string' || def.type === 'enum' || def.type === 'literal') return 'string';
  return 'other';
}

function coerceOne(kind: Kind, value: unknown): unknown {
  if (Array.isArray(value)) return kind === 'array' ? value : coerceOne(kind, value[value.length - 1]);
  if (typeof value !== 'string') return value;
  switch (kind) {
    case 'number':
      return value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value;
    case 'boolean':
      return value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value;
    case 'array':
      return value === '' ? [] : value.split(',');
    case 'object':
      try {
        return JSON.parse(value);
      } catch {
        return value;
      }
    default:
      return value;
  }
}

export function coerceQuery(schema: z.ZodObject, query: Record<string, unknown>): Record<string, unknown> {
  const shape = schema.shape as Record<string, z.ZodType>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(query)) {
    const field = shape[key];
    out[key] = field ? coerceOne(kindOf(field), value) : value;
  }
  return out;
}
