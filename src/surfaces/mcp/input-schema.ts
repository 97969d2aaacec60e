/**
 * A tool's advertised input: the operation's zod schema as JSON Schema for `tools/list`, while every
 * value passes through unchanged so the invoker validates it — errors then read the same on every
 * surface ("invalid_input: Invalid send_message input: to: ...").
 */
import type { StandardSchemaWithJSON } from '@modelcontextprotocol/server';
import { z } from 'zod';

type Json = Record<string, unknown>;

const cache = new WeakMap<z.ZodType, StandardSchemaWithJSON<Json>>();

/** Draft 2020-12, without the `$schema` key: MCP's default dialect, and 57 bytes less in every tool of tools/list. */
function toJsonSchema(schema: z.ZodType): Json {
  try {
    const { $schema: _dialect, ...json } = z.toJSONSchema(schema, {
      io: 'input',
      target: 'draft-2020-12',
      unrepresentable: 'any',
    }) as Json;
    return json;
  } catch {
    return { type: 'object' };
  }
}

export function advertisedInput(schema: z.ZodType): StandardSchemaWithJSON<Json> {
  const known = cache.get(schema);
  if (known) return known;
  let json: Json | undefined;
  const jsonSchema = () => (json ??= toJsonSchema(schema));
  const advertised: StandardSchemaWithJSON<Json> = {
    '~standard': {
      version: 1,
      vendor: 'switchboard',
      validate: (value: unknown) => ({ value: (value ?? {}) as Json }),
      jsonSchema: { input: jsonSchema, output: jsonSchema },
    },
  };
  cache.set(schema, advertised);
  return advertised;
}
