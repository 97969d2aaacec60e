/** What a downstream tool result becomes as a step's output (what `{{steps.ID.output}}` refers to). */
import type { CallToolResult } from '@modelcontextprotocol/client';
import { HubError } from '../../core/errors.js';

function textOf(result: CallToolResult): string {
  return (result.content ?? [])
    .filter((c): c is { type: 'text'; text: string } => c.type === 'text')
    .map((c) => c.text)
    .join('\n');
}

/**
 * `structuredContent` when the tool gave one; else its text, parsed when it is JSON. A result with
 * `isError` fails the step (with the tool's text as the error).
 */
export function callOutput(result: CallToolResult): unknown {
  if (result.isError) {
    throw new HubError('unavailable', textOf(result).slice(0, 2000) || 'the tool reported an error');
  }
  if (result.structuredContent !== undefined) return result.structuredContent;
  const text = textOf(result);
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
