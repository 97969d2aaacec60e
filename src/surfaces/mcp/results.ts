/** How operation results and failures become MCP tool results: JSON text plus structuredContent. */
import type { CallToolResult } from '@modelcontextprotocol/server';
import { ERROR_CODES, type ErrorCode, toHubError } from '../../core/errors.js';

export function toolResult(value: unknown): CallToolResult {
  const structured =
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : { result: value };
  return { content: [{ type: 'text', text: JSON.stringify(structured) }], structuredContent: structured };
}

export interface ToolFailure {
  code: ErrorCode;
  message: string;
}

const KNOWN = new Set<string>(ERROR_CODES);

/** A HubError, a client SwitchboardError (stdio bridge), or anything else (then `internal`, no details). */
export function failureOf(err: unknown): ToolFailure {
  if (err && typeof err === 'object' && 'code' in err && 'message' in err) {
    const { code, message } = err as { code: unknown; message: unknown };
    if (typeof code === 'string' && KNOWN.has(code) && code !== 'internal' && typeof message === 'string') {
      return { code: code as ErrorCode, message };
    }
  }
  const hub = toHubError(err);
  return { code: hub.code, message: hub.message };
}

/** `isError: true` with the text `"<code>: <message>"`; never a stack trace. */
export function toolError(failure: ToolFailure, hint?: string): CallToolResult {
  const message = hint ? `${failure.message}. ${hint}` : failure.message;
  return {
    content: [{ type: 'text', text: `${failure.code}: ${message}` }],
    structuredContent: { error: { code: failure.code, message } },
    isError: true,
  };
}
