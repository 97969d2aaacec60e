/**
 * JSON over HTTP to the hub: the base URL, the bearer token, errors mapped to SwitchboardError; with
 * several URLs, `requestJsonAt` moves to the next node under the rule in failover.ts.
 */
import { errorFromResponse, SwitchboardError, unreachable } from './errors.js';
import { failureOf, type HubUrls, markNodeFailure, nodeFailed, replayable } from './failover.js';

export { DEFAULT_URL, normalizeUrl } from './failover.js';
const DEFAULT_TIMEOUT_MS = 30_000;

export interface RequestOptions {
  method?: string;
  body?: unknown;
  token?: string;
  signal?: AbortSignal;
  /** undefined: 30 s; 0: no limit. */
  timeoutMs?: number;
  headers?: Record<string, string>;
}

/** Sends one request and returns the parsed JSON answer, or throws a SwitchboardError. */
export async function requestJson(
  baseUrl: string,
  path: string,
  opts: RequestOptions = {},
): Promise<unknown> {
  const res = await send(baseUrl, path, opts);
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    if (!res.ok) {
      const err = errorFromResponse(res.status, undefined, res.headers.get('retry-after'));
      throw nodeFailed(res.status, false) ? markNodeFailure(err) : err;
    }
    throw new SwitchboardError(
      'internal',
      `The hub at ${baseUrl} answered ${path} with something that is not JSON`,
      {
        status: res.status,
      },
    );
  }
  if (!res.ok) {
    const err = errorFromResponse(res.status, parsed, res.headers.get('retry-after'));
    if (nodeFailed(res.status, hubErrorBody(parsed))) throw markNodeFailure(err);
    throw err;
  }
  return parsed;
}

/** Whether a body is the hub's own error answer (`{error: {code, message}}`). */
export function hubErrorBody(body: unknown): boolean {
  return typeof (body as { error?: { code?: unknown } } | undefined)?.error?.code === 'string';
}

/**
 * `requestJson` against the current node of `urls`; when that node fails, moves to the next and, if
 * the request may be repeated (failover.ts: it never reached the node, or it carries an idempotency
 * key), sends it there. Each node is tried at most once per request.
 */
export async function requestJsonAt(
  urls: HubUrls,
  path: string,
  opts: RequestOptions = {},
): Promise<unknown> {
  const mayRepeat = replayable(opts.body);
  for (let tried = 1; ; tried++) {
    const url = urls.current;
    try {
      return await requestJson(url, path, opts);
    } catch (err) {
      const failure = failureOf(err);
      if (!failure || !urls.several) throw err;
      urls.failed(url);
      if (failure === 'maybe_sent' && !mayRepeat) throw notRepeated(err as SwitchboardError, url, path);
      if (tried >= urls.all.length) throw err;
    }
  }
}

/** The answer to a request that may have been applied was lost: say so, and that it was not resent. */
function notRepeated(err: SwitchboardError, url: string, path: string): SwitchboardError {
  return new SwitchboardError(
    'unavailable',
    `${err.message} (the hub at ${url} may have applied ${path} before failing, so it was not repeated on ` +
      'another node; the next call goes to the next node)',
    { status: err.status, details: err.details, cause: err },
  );
}

/** Sends one request and returns the raw response once its status is OK (for streams). */
export async function send(baseUrl: string, path: string, opts: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json', ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const signals: AbortSignal[] = [];
  if (opts.signal) signals.push(opts.signal);
  if (timeoutMs > 0) signals.push(AbortSignal.timeout(timeoutMs));
  const signal =
    signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals);
  try {
    return await fetch(baseUrl + path, { method: opts.method ?? 'GET', headers, body, signal });
  } catch (err) {
    if ((err as Error)?.name === 'TimeoutError') {
      throw new SwitchboardError(
        'timeout',
        `The hub at ${baseUrl} did not answer ${path} within ${timeoutMs} ms`,
        {
          cause: err,
        },
      );
    }
    if ((err as Error)?.name === 'AbortError') {
      throw new SwitchboardError('timeout', `The call to ${path} was aborted`, { cause: err });
    }
    throw unreachable(baseUrl, err);
  }
}
