import { describe, expect, it } from 'vitest';
import { catalog } from '../../ops/catalog.js';
import { advertisedInput } from './input-schema.js';
import { toolDescription } from './tools.js';

/** Every tool's description and schema go into a client's context on every tools/list: keep them short. */
const MAX_TOOL_DESCRIPTION = 500;
const MAX_FIELD_DESCRIPTION = 200;

function fieldDescriptions(schema: unknown, path: string, out: Array<[string, string]>): void {
  if (!schema || typeof schema !== 'object') return;
  const node = schema as Record<string, unknown>;
  if (typeof node.description === 'string') out.push([path, node.description]);
  for (const [key, child] of Object.entries(node)) fieldDescriptions(child, `${path}.${key}`, out);
}

describe('tool descriptions stay short', () => {
  it(`a tool's description is at most ${MAX_TOOL_DESCRIPTION} characters`, () => {
    const long = catalog
      .map((op) => [op.name, toolDescription(op).length] as const)
      .filter(([, length]) => length > MAX_TOOL_DESCRIPTION);
    expect(long).toEqual([]);
  });

  it(`a field's description is at most ${MAX_FIELD_DESCRIPTION} characters; no $schema key`, () => {
    const long: Array<[string, number]> = [];
    for (const op of catalog) {
      const json = advertisedInput(op.input)['~standard'].jsonSchema.input({ target: 'draft-2020-12' });
      expect(json, op.name).not.toHaveProperty('$schema');
      const fields: Array<[string, string]> = [];
      fieldDescriptions(json, op.name, fields);
      for (const [path, text] of fields)
        if (text.length > MAX_FIELD_DESCRIPTION) long.push([path, text.length]);
    }
    expect(long).toEqual([]);
  });
});
