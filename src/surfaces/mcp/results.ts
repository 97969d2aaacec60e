/** How operation results and failures become MCP tool results: JSON text plus structuredContent. */
import type { CallToolResult } from '@modelcontextprotocol/server';
import { ERROR_CODES, type ErrorBody, type ErrorCode, toHubError } from '../../core/errors.js';

export function toolResult(value: unknown): CallToolResult {
  const structured =
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : { result: value };
  return { content: [{ type: 'text', text: JSON.stringify(structured) }], structuredContent: structured };
}

/** An error as every surface carries it (REST `error`, WebSocket `error` frame, CLI --json). */
export type ToolFailure = ErrorBody;

const KNOWN = new Set<string>(ERROR_CODES);

/**
 * A HubError, a client SwitchboardError (stdio bridge: the hub's answer over REST), or anything else
 * (then `internal`, no details). Code, message and details are kept.
 */
export function failureOf(err: unknown): ToolFailure {
  if (err && typeof err === 'object' && 'code' in err && 'message' in err) {
    const { code, message, details } = err as { code: unknown; message: unknown; details?: unknown };
    if (typeof code === 'string' && KNOWN.has(code) && code !== 'internal' && typeof message === 'string') {
      return details === undefined
        ? { code: code as ErrorCode, message }
        : { code: code as ErrorCode, message, details };
    }
  }
  return toHubError(err).toJSON();
}

/**
 * `isError: true`; structuredContent `{error: {code, message, details?}}` (the REST error body's
 * `error`), and as text `"<code>: <message>"` plus, when there are details, a second text block
 * `details: <JSON>` for clients that show the model only the text. Never a stack trace.
 */
export function toolError(failure: ToolFailure, hint?: string): CallToolResult {
  const message = hint ? `${failure.message}. ${hint}` : failure.message;
  const error: ToolFailure = { ...failure, message };
  const content: CallToolResult['content'] = [{ type: 'text', text: `${failure.code}: ${message}` }];
  if (failure.details !== undefined)
    content.push({ type: 'text', text: `details: ${JSON.stringify(failure.details)}` });
  return { content, structuredContent: { error }, isError: true };
}
