/** JSON over HTTP to the hub: the base URL, the bearer token, errors mapped to SwitchboardError. */
import { errorFromResponse, SwitchboardError, unreachable } from './errors.js';

export const DEFAULT_URL = 'http://127.0.0.1:7700';
const DEFAULT_TIMEOUT_MS = 30_000;

/** Validates a hub URL and drops a trailing slash: `http://host:port`. */
export function normalizeUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SwitchboardError('invalid_input', `"${url}" is not a hub URL; expected e.g. ${DEFAULT_URL}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new SwitchboardError(
      'invalid_input',
      `The hub URL must start with http:// or https://, not ${parsed.protocol}//`,
    );
  }
  return parsed.href.replace(/\/+$/, '');
}

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
    if (!res.ok) throw errorFromResponse(res.status, undefined, res.headers.get('retry-after'));
    throw new SwitchboardError(
      'internal',
      `The hub at ${baseUrl} answered ${path} with something that is not JSON`,
      {
        status: res.status,
      },
    );
  }
  if (!res.ok) throw errorFromResponse(res.status, parsed, res.headers.get('retry-after'));
  return parsed;
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
