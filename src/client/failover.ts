/**
 * Several hub URLs (the nodes of a cluster) and the rule for moving between them.
 *
 * A client holds one `HubUrls`: the list, and which node it talks to now. Every part of one client
 * (its HTTP calls, its WebSocket, its event stream) shares it, so they move together. When the current
 * node fails, the client moves to the next URL, round-robin.
 *
 * A node counts as failed when it does not answer (connection refused, reset, DNS failure, connect
 * timeout), when it answers 502/503/504 without a hub error body (a load balancer or a node that is
 * shutting down), or when a live stream from it drops and cannot reconnect. An error the hub answers
 * with itself (a JSON error body, e.g. a `timeout` 504 from `request`) is an answer, not a failure.
 *
 * The retry rule (why a request is not simply sent again): a request is repeated on another node only
 * when it never reached the first one (connection refused, DNS, connect timeout: nothing was sent), or
 * when it carries an `idempotency_key` (send_message): the hub then returns the first send's result
 * instead of storing it twice. Any other request whose answer was lost (reset, 502/503/504) may have
 * been applied; it fails with `unavailable` and the caller decides. The client still moves to the next
 * node, so the caller's next request goes there.
 */
import { SwitchboardError } from './errors.js';

export const DEFAULT_URL = 'http://127.0.0.1:7700';

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

/**
 * The hub URLs in one option: a URL, a comma-separated list (as SWITCHBOARD_URL may hold), or an
 * array of either. Each is validated; repeats are dropped; at least one is required.
 */
export function parseUrls(input: string | readonly string[]): string[] {
  const parts = (typeof input === 'string' ? [input] : [...input])
    .flatMap((u) => String(u).split(','))
    .map((u) => u.trim())
    .filter(Boolean);
  const urls = [...new Set(parts.map(normalizeUrl))];
  if (urls.length === 0) {
    throw new SwitchboardError('invalid_input', `No hub URL given; expected e.g. ${DEFAULT_URL}`);
  }
  return urls;
}

/** The nodes one client may talk to, and the one it talks to now. */
export class HubUrls {
  readonly all: readonly string[];
  private index = 0;

  constructor(input: string | readonly string[] | HubUrls) {
    this.all = input instanceof HubUrls ? input.all : parseUrls(input);
  }

  /** The URL in use. */
  get current(): string {
    return this.all[this.index]!;
  }

  get several(): boolean {
    return this.all.length > 1;
  }

  /**
   * `url` failed: moves to the next URL if `url` is still the current one (so two parts of the client
   * noticing the same failure move once), and returns the URL now in use.
   */
  failed(url: string): string {
    if (this.all[this.index] === url) this.index = (this.index + 1) % this.all.length;
    return this.current;
  }

  /** Makes `url` current (a node that just answered). */
  use(url: string): void {
    const i = this.all.indexOf(url);
    if (i >= 0) this.index = i;
  }
}

/** How a call to a node failed, as far as moving to another node goes. */
export type Failure =
  /** Nothing reached the node: safe to send again elsewhere. */
  | 'not_sent'
  /** The node may have received (and applied) the request before failing. */
  | 'maybe_sent';

/** Socket error codes meaning the connection was never made, so nothing was sent. */
const NOT_CONNECTED = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** The first `code` along an error's `cause` chain (and inside an AggregateError). */
function errnoOf(err: unknown, depth = 0): string | undefined {
  if (!err || typeof err !== 'object' || depth > 5) return undefined;
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && !(err instanceof SwitchboardError)) return e.code;
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors) {
      const code = errnoOf(inner, depth + 1);
      if (code) return code;
    }
  }
  return errnoOf(e.cause, depth + 1);
}

/** Whether an error (thrown by `send`/`requestJson`) means the node failed, and how. */
export function failureOf(err: unknown): Failure | undefined {
  if (!(err instanceof SwitchboardError)) return undefined;
  if (err.status === 0) {
    if (err.code !== 'unavailable') return undefined; // our own timeout or abort: the node may be fine
    const code = errnoOf(err.cause);
    return code && NOT_CONNECTED.has(code) ? 'not_sent' : 'maybe_sent';
  }
  return nodeFailures.has(err) ? 'maybe_sent' : undefined;
}

/** A 502/503/504 without a hub error body: a proxy's or a closing node's answer. */
export function nodeFailed(status: number, hubAnswered: boolean): boolean {
  return (status === 502 || status === 503 || status === 504) && !hubAnswered;
}

/** Whether a request with this body may be sent again after a `maybe_sent` failure. */
export function replayable(body: unknown): boolean {
  const key = (body as { idempotency_key?: unknown } | undefined)?.idempotency_key;
  return typeof key === 'string' && key.length > 0;
}

const nodeFailures = new WeakSet<SwitchboardError>();

/** Marks an error built from a 502/503/504 that no hub answered with an error body. */
export function markNodeFailure(err: SwitchboardError): SwitchboardError {
  nodeFailures.add(err);
  return err;
}
