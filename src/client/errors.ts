/** The one error the client throws: the hub's stable error code, the HTTP status, and a message. */
import type { ErrorCode } from './types.js';

export class SwitchboardError extends Error {
  /** The hub's error code (`not_found`, `invalid_input`, `unauthorized`, ... or `unavailable` when unreachable). */
  readonly code: ErrorCode;
  /** The HTTP status, or 0 when no answer came (network failure, timeout). */
  readonly status: number;
  readonly details?: unknown;
  /** For `rate_limited`: seconds until a retry can succeed. */
  readonly retryAfterSeconds?: number;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { status?: number; details?: unknown; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SwitchboardError';
    this.code = code;
    this.status = opts.status ?? 0;
    this.details = opts.details;
    this.retryAfterSeconds = opts.retryAfterSeconds;
  }

  toJSON(): { code: ErrorCode; message: string; status: number; details?: unknown } {
    const out: { code: ErrorCode; message: string; status: number; details?: unknown } = {
      code: this.code,
      message: this.message,
      status: this.status,
    };
    if (this.details !== undefined) out.details = this.details;
    return out;
  }
}

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'invalid_input',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  429: 'rate_limited',
  503: 'unavailable',
  504: 'timeout',
};

const KNOWN_CODES = new Set<string>([...Object.values(CODE_BY_STATUS), 'internal']);

/** Builds the error for a non-2xx answer from the hub's JSON error body (or the status alone). */
export function errorFromResponse(
  status: number,
  body: unknown,
  retryAfter?: string | null,
): SwitchboardError {
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)
    ?.error;
  const code =
    typeof error?.code === 'string' && KNOWN_CODES.has(error.code)
      ? (error.code as ErrorCode)
      : (CODE_BY_STATUS[status] ?? 'internal');
  const message =
    typeof error?.message === 'string'
      ? error.message
      : `The hub answered HTTP ${status} without an error message`;
  const seconds = retryAfter ? Number(retryAfter) : undefined;
  return new SwitchboardError(code, message, {
    status,
    details: error?.details,
    retryAfterSeconds: seconds !== undefined && Number.isFinite(seconds) ? seconds : undefined,
  });
}

/** Explains a failed connection in words a person can act on. */
export function unreachable(url: string, err: unknown): SwitchboardError {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  const why = cause?.code ?? cause?.message ?? (err as Error)?.message ?? String(err);
  return new SwitchboardError(
    'unavailable',
    `Cannot reach the hub at ${url} (${why}); start one with \`switchboard serve\` or point SWITCHBOARD_URL at it`,
    { cause: err },
  );
}
