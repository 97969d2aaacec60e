/**
 * `HubClient`: one typed method per catalog operation (`hub.send_message({...})`), each a
 * `POST /api/v1/ops/<name>`. Methods come from the `OperationMap` type and a Proxy, so operations added
 * to the hub appear here without editing the client. Given several hub URLs (a cluster), it fails over
 * to the next one under the rule in failover.ts.
 */
import { SwitchboardError } from './errors.js';
import { DEFAULT_URL, HubUrls } from './failover.js';
import { requestJsonAt } from './http.js';
import { type EventStreamOptions, failoverEvents } from './sse.js';
import type { CallOptions, OperationMap, OperationName, StreamedEvent } from './types.js';

/** Operations whose inputs are all optional may be called without an argument. */
type OpArgs<I> = {} extends I ? [input?: I, options?: CallOptions] : [input: I, options?: CallOptions];

export type OperationMethods = {
  [N in OperationName]: (...args: OpArgs<OperationMap[N]['input']>) => Promise<OperationMap[N]['output']>;
};

export interface HubClientOptions {
  /**
   * The hub's base URL (default http://127.0.0.1:7700), or several (an array or a comma-separated
   * list): the nodes of a cluster, used in turn when one fails. A `HubUrls` shares another client's.
   */
  url?: string | readonly string[] | HubUrls;
  /** An agent token (from register_agent) or the admin token. */
  token?: string;
}

/**
 * Operations that wait on purpose (`blocking` in the catalog): no client-side timeout unless the
 * caller sets one. The client does not load the catalog at run time, so this list is kept equal to it
 * by test/every-face.test.ts.
 */
export const BLOCKING_OPERATIONS: ReadonlySet<string> = new Set<string>([
  'coordinate_instances',
  'run_workflow',
  'wait_for_messages',
  'watch_context',
  'wait_for_task',
  'request',
  'wait_for_vote',
  'fan_out',
  'run_pipeline',
  'send_to_instance',
  'spawn_instance',
  'spawn_team',
  'summarize_thread',
  'wait_for_approval',
]);
const OP_NAME = /^[a-z][a-z0-9_]{0,63}$/;

class HubClientBase {
  /** The hub URLs and which one is in use (shared with clients made by `withToken`). */
  readonly urls: HubUrls;
  token: string | undefined;

  constructor(opts: HubClientOptions = {}) {
    const url = opts.url ?? DEFAULT_URL;
    this.urls = url instanceof HubUrls ? url : new HubUrls(url);
    this.token = opts.token;
    // Returning the Proxy from the constructor adds one method per operation.
    return withOperations(this);
  }

  /** The URL of the node in use. */
  get url(): string {
    return this.urls.current;
  }

  /** Calls any operation by name. */
  async call<N extends OperationName>(
    name: N,
    input?: OperationMap[N]['input'],
    options?: CallOptions,
  ): Promise<OperationMap[N]['output']>;
  async call(name: string, input?: unknown, options?: CallOptions): Promise<unknown>;
  async call(name: string, input: unknown = {}, options: CallOptions = {}): Promise<unknown> {
    if (!OP_NAME.test(name))
      throw new SwitchboardError('invalid_input', `"${name}" is not an operation name`);
    return requestJsonAt(this.urls, `/api/v1/ops/${name}`, {
      method: 'POST',
      body: input ?? {},
      token: this.token,
      signal: options.signal,
      timeoutMs: options.timeoutMs ?? (BLOCKING_OPERATIONS.has(name) ? 0 : undefined),
    });
  }

  /**
   * Live hub events over SSE (the admin sees every event; an agent its own messages and presence).
   * With several URLs, a stream that breaks moves to the next node and resumes after its last event id.
   */
  events(options: EventStreamOptions = {}): AsyncGenerator<StreamedEvent> {
    return failoverEvents(this.urls, this.token, options);
  }

  /** The same hub (and the same node in use) with another identity. */
  withToken(token: string | undefined): HubClient {
    return new HubClient({ url: this.urls, token });
  }
}

export type HubClient = HubClientBase & OperationMethods;

function withOperations(target: HubClientBase): HubClient {
  const methods = new Map<string, (input?: unknown, options?: CallOptions) => Promise<unknown>>();
  return new Proxy(target, {
    get(obj, prop, receiver) {
      if (typeof prop !== 'string' || prop in obj || prop === 'then' || !OP_NAME.test(prop)) {
        return Reflect.get(obj, prop, receiver);
      }
      let method = methods.get(prop);
      if (!method) {
        method = (input?: unknown, options?: CallOptions) => obj.call(prop, input, options);
        methods.set(prop, method);
      }
      return method;
    },
  }) as HubClient;
}

/** `new HubClient({url, token})` gives a client with a typed method per operation. */
export const HubClient = HubClientBase as new (opts?: HubClientOptions) => HubClient;
