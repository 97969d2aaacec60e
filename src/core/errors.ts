/**
 * One error type for the whole hub. Every failure a client can see carries a stable `code` and a
 * message a person can act on; each surface maps the code (HTTP status, JSON-RPC error, exit code).
 */
import type { z } from 'zod';

export const ERROR_CODES = [
  'invalid_input',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'payload_too_large',
  'rate_limited',
  'timeout',
  'unavailable',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const HTTP_STATUS: Record<ErrorCode, number> = {
  invalid_input: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  timeout: 504,
  unavailable: 503,
  internal: 500,
};

/** Exit codes for the CLI, one per error code. */
export const EXIT_CODE: Record<ErrorCode, number> = {
  invalid_input: 2,
  unauthorized: 3,
  forbidden: 3,
  not_found: 4,
  conflict: 5,
  payload_too_large: 2,
  rate_limited: 6,
  timeout: 7,
  unavailable: 8,
  internal: 1,
};

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

export class HubError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;
  /** For `rate_limited`: seconds until a retry can succeed. */
  readonly retryAfterSeconds?: number;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { details?: unknown; retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.name = 'HubError';
    this.code = code;
    this.details = opts.details;
    this.retryAfterSeconds = opts.retryAfterSeconds;
  }

  toJSON(): ErrorBody {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export const notFound = (what: string) => new HubError('not_found', `${what} was not found`);
export const forbidden = (message: string) => new HubError('forbidden', message);
export const invalid = (message: string, details?: unknown) =>
  new HubError('invalid_input', message, { details });
export const conflict = (message: string, details?: unknown) =>
  new HubError('conflict', message, { details });

/** Turns zod issues into one `invalid_input` error that names each field and what is allowed. */
export function fromZodError(error: z.ZodError, where = 'input'): HubError {
  const issues = error.issues.map((issue) => {
    const path = issue.path.length ? issue.path.map(String).join('.') : '(top level)';
    const problem =
      issue.code === 'unrecognized_keys'
        ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}; check the spelling against the schema`
        : issue.message;
    return { field: path, problem };
  });
  const summary = issues
    .slice(0, 5)
    .map((i) => `${i.field}: ${i.problem}`)
    .join('; ');
  const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : '';
  return new HubError('invalid_input', `Invalid ${where}: ${summary}${more}`, { details: { issues } });
}

/** Normalizes anything thrown into a HubError; unknown errors become `internal` without leaking internals. */
export function toHubError(err: unknown): HubError {
  if (err instanceof HubError) return err;
  if (err && typeof err === 'object' && 'issues' in err && Array.isArray((err as z.ZodError).issues)) {
    return fromZodError(err as z.ZodError);
  }
  return new HubError('internal', 'Internal error; the hub log has the details');
}
