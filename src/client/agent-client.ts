/**
 * `AgentClient`: one agent on the hub. Register, send, broadcast, read the inbox, acknowledge, listen
 * live over a WebSocket that reconnects and resumes from its last cursor, and request/respond with
 * correlated messages.
 */
import { randomUUID } from 'node:crypto';
import type { BackoffOptions } from './backoff.js';
import { SwitchboardError } from './errors.js';
import { DEFAULT_URL, type HubUrls } from './failover.js';
import { HubClient } from './hub-client.js';
import { ReadMarks } from './read-marks.js';
import { PendingRequests } from './requests.js';
import { HubSocket, NOT_SENT, type ServerFrame, type SocketState } from './socket.js';
import type {
  InboxInput,
  InboxMessageView,
  InboxResult,
  MessageBody,
  OpOutput,
  RegisterInput,
  RegisterResult,
  SendInput,
  SendResult,
} from './types.js';

export interface AgentClientOptions {
  /**
   * The hub (default SWITCHBOARD_URL, else http://127.0.0.1:7700), or several (an array or a
   * comma-separated list): the nodes of a cluster. Calls and the live connection move to the next one
   * when a node fails and resume there from the cursor (see HubClient for which calls are repeated).
   */
  url?: string | readonly string[] | HubUrls;
  /** An agent token from an earlier registration (with `agentId`, or the id is looked up). */
  token?: string;
  agentId?: string;
  /** Registration details used by `register()`. */
  name?: string;
  capabilities?: string[];
  role?: string;
  description?: string;
  metadata?: Record<string, unknown>;
  project?: string;
  sessionId?: string;
  reconnect?: BackoffOptions;
  /** Problems that do not stop the client: a handler that threw, a dropped connection. */
  onError?(err: Error, message?: InboxMessageView): void;
  /** The live connection's state: connecting, open, reconnecting, closed. */
  onState?(state: SocketState, detail?: SwitchboardError): void;
  /** Hub frames other than messages (ack notices, agent events). */
  onEvent?(frame: ServerFrame): void;
}

/** Fields of a send besides `to` and `body`. */
export type SendOptions = Omit<SendInput, 'to' | 'body' | 'message' | 'from'>;

export type MessageHandler = (message: InboxMessageView) => void | Promise<void>;

export interface ListenOptions {
  /**
   * Where to start when not connected yet: `unread` (default: your unread messages first, then live),
   * `now` (live only), or a cursor (everything after it). Reconnects always resume from the last cursor.
   */
  from?: 'unread' | 'now' | string;
  /** Mark each message read once the handler returns without throwing (default true). */
  markRead?: boolean;
}

export interface Listening {
  /** The cursor of the last message received. */
  readonly cursor: string | undefined;
  /** Stops calling the handler (and closes the connection unless a request still waits on it). */
  stop(): Promise<void>;
}

export interface RequestOptions extends SendOptions {
  /** How long to wait for the response (default 30 s). */
  timeoutMs?: number;
}

const envUrl = (): string | undefined => globalThis.process?.env?.SWITCHBOARD_URL || undefined;

export class AgentClient {
  /** Every hub operation, typed, acting as this agent. */
  readonly hub: HubClient;
  private agentId?: string;
  private socket?: HubSocket;
  private starting?: Promise<HubSocket>;
  private savedCursor?: string;
  private handler?: MessageHandler;
  private markReadAfterHandling = true;
  private held: InboxMessageView[] = [];
  private chain: Promise<void> = Promise.resolve();
  private readonly requests = new PendingRequests();
  private readonly reads: ReadMarks;
  private closed = false;

  constructor(private readonly opts: AgentClientOptions = {}) {
    this.hub = new HubClient({ url: opts.url ?? envUrl() ?? DEFAULT_URL, token: opts.token });
    this.agentId = opts.agentId;
    this.reads = new ReadMarks(
      (ids) => this.hub.mark_read({ message_ids: ids }),
      (err) => this.report(err),
    );
  }

  /** This agent's id (known after `register()`, or given in the options). */
  get id(): string {
    if (!this.agentId) {
      throw new SwitchboardError('invalid_input', 'This AgentClient has no agent yet: call register() first');
    }
    return this.agentId;
  }

  /** The agent token (after `register()` it is the one the hub issued). */
  get token(): string | undefined {
    return this.hub.token;
  }

  /** The cursor of the last message received live: pass it as `listen({from})` in a later run. */
  get cursor(): string | undefined {
    return this.socket?.cursor ?? this.savedCursor;
  }

  /** Registers (or re-registers with the token it holds) and keeps the token it is given. */
  async register(extra: Partial<RegisterInput> = {}): Promise<RegisterResult> {
    const o = this.opts;
    const input = {
      agent_id: this.agentId,
      name: o.name,
      capabilities: o.capabilities,
      role: o.role,
      description: o.description,
      metadata: o.metadata,
      project: o.project,
      session_id: o.sessionId,
      ...extra,
    };
    if (!input.name)
      throw new SwitchboardError('invalid_input', 'register() needs a name (AgentClient option `name`)');
    const result = await this.hub.register_agent(dropUndefined(input) as RegisterInput);
    if (result.token) this.hub.token = result.token;
    this.agentId = result.agent_id;
    return result;
  }

  /**
   * Sends a message to an agent id, a list of ids, `ALL`, `capability:<name>` or `topic:<name>`.
   * While the live connection is open (after `listen()` or `request()`), sends go over it and the
   * sends issued in one tick leave together as one `send_batch` frame; otherwise each is a REST call.
   * Either way it resolves once the message is committed.
   */
  send(to: string | string[], body: MessageBody, options: SendOptions = {}): Promise<SendResult> {
    const input = { ...options, to, body };
    const socket = this.socket;
    if (!socket?.connected) return this.hub.send_message(input);
    // The socket dropped: a send that never left, or one with an idempotency key, is safe to repeat
    // over REST (the rule of failover.ts); any other may have been stored and fails with `unavailable`.
    return socket.sendMessage(input).catch((err: unknown) => {
      const repeat =
        err instanceof SwitchboardError &&
        err.code === 'unavailable' &&
        (err.details === NOT_SENT || input.idempotency_key !== undefined);
      if (repeat) return this.hub.send_message(input);
      throw err;
    });
  }

  /** Sends to every other agent of the project (type `broadcast` unless given). */
  broadcast(body: MessageBody, options: SendOptions = {}): Promise<SendResult> {
    return this.send('ALL', body, { type: 'broadcast', ...options });
  }

  /** Reads the inbox: unread messages, or everything after `since`. */
  inbox(input: Omit<InboxInput, 'agent_id'> = {}): Promise<InboxResult> {
    return this.hub.check_inbox(input);
  }

  /** Acknowledges messages (ids or the messages themselves); their senders are notified. */
  ack(
    messages: string | InboxMessageView | Array<string | InboxMessageView>,
  ): Promise<OpOutput<'ack_message'>> {
    const list = Array.isArray(messages) ? messages : [messages];
    return this.hub.ack_message({ message_ids: list.map((m) => (typeof m === 'string' ? m : m.message_id)) });
  }

  /** Reports presence, optionally with a status. */
  heartbeat(status?: 'active' | 'busy' | 'idle'): Promise<OpOutput<'heartbeat'>> {
    return this.hub.heartbeat(status ? { status } : {});
  }

  /**
   * Calls `handler` for every message, in order, once each, over a WebSocket that reconnects by itself
   * and resumes where it left off. Resolves once connected.
   */
  async listen(handler: MessageHandler, options: ListenOptions = {}): Promise<Listening> {
    if (this.handler)
      throw new SwitchboardError('conflict', 'This AgentClient is already listening; stop() it first');
    this.handler = handler;
    this.markReadAfterHandling = options.markRead ?? true;
    try {
      await this.connect(options.from);
    } catch (err) {
      this.handler = undefined;
      throw err;
    }
    for (const message of this.held.splice(0)) this.enqueue(message);
    const cursorOf = () => this.cursor;
    const stop = async () => {
      if (this.handler !== handler) return;
      this.handler = undefined;
      await this.chain;
      if (this.requests.size === 0) await this.disconnect();
      await this.reads.flush();
    };
    return {
      get cursor() {
        return cursorOf();
      },
      stop,
    };
  }

  /**
   * Sends a `request` and resolves with the correlated `response` message; rejects with a
   * `timeout` SwitchboardError when none comes within `timeoutMs` (default 30 s).
   */
  async request(
    to: string | string[],
    body: MessageBody,
    options: RequestOptions = {},
  ): Promise<InboxMessageView> {
    const { timeoutMs = 30_000, ...send } = options;
    await this.connect();
    const correlationId = send.correlation_id ?? randomUUID();
    let messageId = '';
    const answer = this.requests.expect(
      correlationId,
      timeoutMs,
      () => `to request ${messageId} from ${String(to)}`,
    );
    try {
      const sent = await this.send(to, body, { type: 'request', ...send, correlation_id: correlationId });
      messageId = sent.message_id;
      this.requests.sent(correlationId, sent.message_id);
    } catch (err) {
      this.requests.cancel(correlationId);
      answer.catch(() => {});
      throw err;
    }
    return answer;
  }

  /** Answers a request: a `response` to its sender, with its correlation id, in its thread. */
  respond(request: InboxMessageView, body: MessageBody, options: SendOptions = {}): Promise<SendResult> {
    return this.send(request.from, body, {
      type: 'response',
      correlation_id: request.correlation_id ?? request.message_id,
      reply_to: request.message_id,
      ...options,
    });
  }

  /** Stops listening, fails waiting requests, marks handled messages read; `retire` also retires the agent. */
  async close(options: { retire?: boolean; reason?: string } = {}): Promise<void> {
    this.closed = true;
    this.handler = undefined;
    this.requests.rejectAll(new SwitchboardError('unavailable', 'The AgentClient was closed'));
    await this.disconnect();
    await this.reads.flush();
    if (options.retire && this.agentId) {
      await this.hub.retire_agent({ agent_id: this.agentId, reason: options.reason });
    }
  }

  private async connect(from: ListenOptions['from'] = 'unread'): Promise<HubSocket> {
    if (this.closed) throw new SwitchboardError('unavailable', 'The AgentClient was closed');
    if (this.socket) return this.socket;
    if (!this.starting) {
      this.starting = this.open(from).finally(() => {
        this.starting = undefined;
      });
    }
    return this.starting;
  }

  private async open(from: string): Promise<HubSocket> {
    const agentId = await this.resolveId();
    const token = this.hub.token;
    if (!token)
      throw new SwitchboardError('unauthorized', 'Listening needs an agent token: call register() first');
    let since = this.savedCursor;
    // Starting from `unread`: the first replay may hold messages read earlier (after the oldest unread
    // one); they were handled before, so they are skipped. Later replays deliver everything missed.
    let skipReadReplays = false;
    if (since === undefined && from === 'unread') {
      since = await this.drainUnread();
      skipReadReplays = true;
    } else if (since === undefined && from !== 'now') since = from;
    const socket: HubSocket = new HubSocket({
      url: this.hub.urls,
      token,
      agentId,
      since,
      reconnect: this.opts.reconnect,
      onMessage: (message, _cursor, frame) => {
        if (skipReadReplays && frame.replay === true && message.read_at !== null) return;
        this.receive(message);
      },
      onFrame: (frame) => this.opts.onEvent?.(frame),
      onError: (err) => this.report(err),
      onState: (state, detail) => {
        if (state === 'open') skipReadReplays = false;
        if (state === 'closed' && this.socket === socket) {
          this.savedCursor = socket.cursor;
          this.socket = undefined;
          if (detail) this.requests.rejectAll(detail);
        }
        this.opts.onState?.(state, detail);
      },
    });
    await socket.start();
    this.socket = socket;
    return socket;
  }

  /** Hands every unread message to the queue (without marking it read) and returns where live begins. */
  private async drainUnread(): Promise<string> {
    let page = await this.hub.check_inbox({ mark_read: false, limit: 500 });
    for (const message of page.messages) this.receive(message);
    while (page.has_more) {
      page = await this.hub.check_inbox({
        since: page.next_cursor,
        unread_only: true,
        mark_read: false,
        limit: 500,
      });
      for (const message of page.messages) this.receive(message);
    }
    return page.next_cursor;
  }

  private async disconnect(): Promise<void> {
    const socket = this.socket;
    if (!socket) return;
    this.savedCursor = socket.cursor;
    this.socket = undefined;
    await socket.close();
  }

  private async resolveId(): Promise<string> {
    if (this.agentId) return this.agentId;
    if (!this.hub.token) {
      throw new SwitchboardError(
        'unauthorized',
        'This AgentClient has no agent: call register() or pass a token',
      );
    }
    const me = await this.hub.whoami();
    this.agentId = me.agent.agent_id;
    return this.agentId;
  }

  private receive(message: InboxMessageView): void {
    if (message.type === 'response' && this.requests.settle(message)) {
      this.reads.add(message.message_id);
      return;
    }
    if (!this.handler) {
      this.held.push(message);
      return;
    }
    this.enqueue(message);
  }

  private enqueue(message: InboxMessageView): void {
    this.chain = this.chain.then(async () => {
      const handler = this.handler;
      if (!handler) {
        this.held.push(message);
        return;
      }
      try {
        await handler(message);
        if (this.markReadAfterHandling) this.reads.add(message.message_id);
      } catch (err) {
        this.report(err, message);
      }
    });
  }

  private report(err: unknown, message?: InboxMessageView): void {
    const error = err instanceof Error ? err : new Error(String(err));
    if (this.opts.onError) this.opts.onError(error, message);
    else if (message)
      console.error(`switchboard: the handler failed on message ${message.message_id}: ${error.message}`);
  }
}

function dropUndefined<T extends Record<string, unknown>>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}
