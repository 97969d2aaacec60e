/**
 * Server-Sent Events from `GET /api/v1/events`, read with fetch and parsed line by line; with several
 * hub URLs, a broken stream moves to the next node and resumes after its last event id.
 */
import type { ErrorBodyFrame } from '../bus/frames.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { errorFromResponse, SwitchboardError } from './errors.js';
import { failureOf, type HubUrls, markNodeFailure, nodeFailed } from './failover.js';
import { hubErrorBody, send } from './http.js';
import type { StreamedEvent } from './types.js';

export interface EventStreamOptions {
  /** Resume after this cursor (agents: their message cursor). */
  since?: string;
  signal?: AbortSignal;
  /** Called once the hub has accepted the stream (with several URLs: the first time only). */
  onOpen?(): void;
  /** With several URLs: the delays between moving to the next node (default 200 ms doubling to 10 s). */
  reconnect?: BackoffOptions;
  /** With several URLs: a failure the stream recovers from by moving to the next node. */
  onFailover?(err: SwitchboardError, nextUrl: string): void;
}

export interface SseFrame {
  event: string;
  data: string;
  id?: string;
}

/** Splits an SSE byte stream into frames; comments (`: ...`) are skipped. */
export async function* parseSse(stream: ReadableStream<Uint8Array>): AsyncGenerator<SseFrame> {
  const decoder = new TextDecoder();
  let buffer = '';
  let frame: { event?: string; data: string[]; id?: string } = { data: [] };
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline = buffer.search(/\r?\n/);
    while (newline >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(buffer[newline] === '\r' ? newline + 2 : newline + 1);
      if (line === '') {
        if (frame.data.length > 0)
          yield { event: frame.event ?? 'message', data: frame.data.join('\n'), id: frame.id };
        frame = { data: [] };
      } else if (!line.startsWith(':')) {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') frame.event = value;
        else if (field === 'data') frame.data.push(value);
        else if (field === 'id') frame.id = value;
      }
      newline = buffer.search(/\r?\n/);
    }
  }
}

/** Yields the hub's events until the stream ends or the signal aborts. */
export async function* streamEvents(
  baseUrl: string,
  token: string | undefined,
  options: EventStreamOptions = {},
): AsyncGenerator<StreamedEvent> {
  const query = options.since ? `?since=${encodeURIComponent(options.since)}` : '';
  const res = await send(baseUrl, `/api/v1/events${query}`, {
    token,
    signal: options.signal,
    timeoutMs: 0,
    headers: { accept: 'text/event-stream' },
  });
  if (!res.ok) {
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const err = errorFromResponse(res.status, body, res.headers.get('retry-after'));
    if (nodeFailed(res.status, hubErrorBody(body))) throw markNodeFailure(err);
    throw err;
  }
  if (!res.body) throw new SwitchboardError('unavailable', 'The hub opened an event stream without a body');
  options.onOpen?.();
  try {
    for await (const frame of parseSse(res.body)) {
      if (frame.event === 'error') throw endedByHub(frame.data);
      let event: StreamedEvent;
      try {
        event = JSON.parse(frame.data);
      } catch {
        continue;
      }
      if (frame.id) event.id = frame.id;
      yield event;
    }
  } catch (err) {
    if (options.signal?.aborted) return;
    if (err instanceof SwitchboardError) throw err;
    throw new SwitchboardError(
      'unavailable',
      `The event stream from ${baseUrl} broke: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

/**
 * `streamEvents` on the node in use; with several URLs, when the stream cannot open or breaks (the
 * node refused, reset, answered 502/503/504, or ended the stream), moves to the next URL after a
 * backoff delay and resumes after the last event id it saw (an agent's message cursor: nothing missed,
 * nothing repeated). Like the WebSocket: before the first stream opens it tries each URL once and then
 * throws the last failure; once a stream has opened it keeps moving round the URLs (the nodes may come
 * back) until the signal aborts. Errors the hub answered with (401, 404, ...) end it at once.
 */
export async function* failoverEvents(
  urls: HubUrls,
  token: string | undefined,
  options: EventStreamOptions = {},
): AsyncGenerator<StreamedEvent> {
  if (!urls.several) {
    yield* streamEvents(urls.current, token, options);
    return;
  }
  const { signal } = options;
  const backoff = new Backoff(options.reconnect);
  let since = options.since;
  let everOpened = false;
  let failedBeforeOpen = 0;
  for (;;) {
    const url = urls.current;
    let failure: SwitchboardError;
    try {
      const stream = streamEvents(url, token, {
        since,
        signal,
        onOpen: () => {
          backoff.reset();
          if (!everOpened) options.onOpen?.();
          everOpened = true;
        },
      });
      for await (const event of stream) {
        if (event.id) since = event.id;
        yield event;
      }
      if (signal?.aborted) return;
      failure = new SwitchboardError('unavailable', `The hub at ${url} ended the event stream`);
    } catch (err) {
      if (signal?.aborted) return;
      if (!failureOf(err)) throw err;
      failure = err as SwitchboardError;
    }
    const nextUrl = urls.failed(url);
    if (!everOpened && ++failedBeforeOpen >= urls.all.length) throw failure;
    options.onFailover?.(failure, nextUrl);
    await sleep(backoff.next(), signal);
    if (signal?.aborted) return;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * The hub ended the stream with an `error` event (e.g. too slow to keep up): its code and reason. The
 * data should be an error body; anything else still ends the stream, with a generic reason.
 */
function endedByHub(data: string): SwitchboardError {
  let body: { [K in keyof ErrorBodyFrame]?: unknown } = {};
  try {
    body = JSON.parse(data);
  } catch {
    /* not JSON: the generic reason below */
  }
  const message = typeof body.message === 'string' ? body.message : 'The hub ended the event stream';
  const code = body.code === 'unavailable' || body.code === 'rate_limited' ? body.code : 'unavailable';
  return new SwitchboardError(code, message, { details: body.details });
}
