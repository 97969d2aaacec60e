/**
 * WebSocket `/ws/:agent_id`. Server → client frames: `ready`, `message` (with its cursor), `ack`,
 * `result`, `error`, `pong`, and other hub events; client → server: `heartbeat`, `ack`, `send` (a
 * message's own type goes in `message_type`), `send_batch` (several sends, one result slot each:
 * src/ops/send-batch.ts), `ping`, and `call` (any operation). Every frame is defined in
 * src/bus/frames.ts. A frame over `http.bodyLimitBytes` is refused with `payload_too_large` (the
 * connection stays open); one over twice that is not read at all (closed with 1009).
 * `?since=<cursor>` replays everything after the cursor before live frames (src/surfaces/feed.ts),
 * so a client that reconnects misses nothing and sees nothing twice.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { channels } from '../../bus/bus.js';
import * as frames from '../../bus/frames.js';
import type { ClientFrame, FrameId, ServerFrame } from '../../bus/frames.js';
import { asAgent } from '../../core/caller.js';
import { HubError, toHubError } from '../../core/errors.js';
import { parseSince } from '../../core/since.js';
import { type BatchSlot, checkBatch, sendBatch } from '../../ops/send-batch.js';
import type { OpContext } from '../../ops/types.js';
import { Feed, type MessageEvent } from '../feed.js';
import { bearerFrom, identify, queryParam } from './auth.js';
import type { HttpContext } from './context.js';
import { sendError } from './reply.js';
import { WsWriter } from './ws-writer.js';

const PING_INTERVAL_MS = 30_000;

/** One JSON text per pushed message event, shared by every socket of the recipient. */
const messageFrames = new WeakMap<MessageEvent, string>();

function messageFrameText(event: MessageEvent): string {
  let text = messageFrames.get(event);
  if (text === undefined) {
    text = JSON.stringify(frames.message(event.cursor, event.message));
    messageFrames.set(event, text);
  }
  return text;
}

export function mountWebSocket(app: FastifyInstance, http: HttpContext): void {
  let open = 0;
  const gauge = () => http.metrics.connections.set({ kind: 'websocket' }, open);

  app.route({
    method: 'GET',
    url: '/ws/:agent_id',
    // A plain HTTP request (no Upgrade) gets an error in the hub's shape, not an empty 404.
    handler: (_req, reply) =>
      sendError(
        reply,
        new HubError(
          'invalid_input',
          'This is a WebSocket endpoint: connect with a WebSocket client (Upgrade: websocket)',
        ),
      ),
    wsHandler: (socket: WebSocket, req: FastifyRequest) => {
      const { agent_id: agentId } = req.params as { agent_id: string };
      const query = req.query as Record<string, string | undefined>;
      open++;
      gauge();
      const session = new AgentSocket(socket, agentId, http, req);
      socket.once('close', () => {
        open--;
        gauge();
        session.close();
      });
      session.start(query.token, query.since).catch((err) => session.fail(toHubError(err)));
    },
  });
}

/** A received frame's size in bytes (ws hands over a Buffer; the other forms are counted as text). */
function frameBytes(data: unknown): number {
  return Buffer.isBuffer(data) ? data.length : Buffer.byteLength(String(data));
}

class AgentSocket {
  /** The agent's channel: replayed messages after `?since=`, then live events. */
  private readonly feed: Feed<frames.EventFrame>;
  private alive = true;
  private pinger?: NodeJS.Timeout;
  private ctx?: OpContext;
  private readonly writer: WsWriter;
  /** Aborted when the socket closes, so a blocking call (wait_for_messages) ends with it. */
  private readonly closed = new AbortController();
  /** Frames that arrived before authentication finished; handled once ready, in order. */
  private early: string[] | undefined = [];

  constructor(
    private readonly socket: WebSocket,
    private readonly agentId: string,
    private readonly http: HttpContext,
    private readonly req: FastifyRequest,
  ) {
    this.writer = new WsWriter(socket, http.config.streams.maxBufferedBytes, () =>
      http.metrics.connectionsClosed.inc({ kind: 'websocket', reason: 'slow' }),
    );
    this.feed = new Feed({
      bus: http.bus,
      subscriptions: [{ channel: channels.agent(agentId), select: (event) => event }],
      backlog: (since) => http.services.messages.backlog(agentId, since),
      latestCursor: () => http.services.messages.latestCursor(agentId),
      // Several nodes publish (PostgreSQL): a send on another node may arrive after a later one here.
      gapFill: http.services.info.nodes.store === 'postgres',
    });
    // Listen at once: a client may send right after the upgrade, before authentication has finished.
    socket.on('message', (data) => {
      const text = String(data);
      if (this.early) this.early.push(text);
      else void this.onFrame(text, frameBytes(data));
    });
  }

  async start(queryToken: unknown, querySince: unknown): Promise<void> {
    const token = bearerFrom(this.req.headers.authorization) ?? queryParam(queryToken, 'token');
    const since = queryParam(querySince, 'since');
    if (!token) {
      throw new HubError(
        'unauthorized',
        'Connect with Authorization: Bearer <agent token> or ?token=<agent token>',
      );
    }
    const { caller } = await identify(this.http.services, this.http.adminToken, token);
    if (caller.kind === 'agent' && caller.agentId !== this.agentId) {
      throw new HubError('forbidden', `This token belongs to agent ${caller.agentId}, not ${this.agentId}`);
    }
    const agent = await this.http.services.agents.requireActive(this.agentId);
    this.ctx = {
      caller: caller.kind === 'admin' ? asAgent(agent.id) : caller,
      services: this.http.services,
      requestId: String(this.req.id),
      logger: this.req.log,
      surface: 'ws',
      signal: this.closed.signal,
    };
    parseSince(since); // a bad cursor is refused before anything is subscribed
    if (this.closed.signal.aborted) return;
    this.socket.on('pong', () => {
      this.alive = true;
      this.http.services.agents.touch(this.agentId);
    });
    this.pinger = setInterval(() => this.ping(), PING_INTERVAL_MS);
    this.http.services.agents.touch(this.agentId);

    await this.feed.start(
      {
        replayed: (message) => this.send(frames.message(message.cursor, message, true)),
        // A live message that came after a later one (cluster): not a replay, only late.
        filled: (message) => this.send(frames.message(message.cursor, message)),
        caughtUp: (cursor) => this.send(frames.ready(this.agentId, cursor)),
        message: (event) => {
          this.writer.text(messageFrameText(event));
          this.http.metrics.pushed('websocket', event.message.created_at);
        },
        event: (event) => this.send(frames.event(event)),
      },
      since,
    );
    const early = this.early ?? [];
    this.early = undefined;
    for (const frame of early) void this.onFrame(frame, Buffer.byteLength(frame));
  }

  private async onFrame(text: string, bytes: number): Promise<void> {
    const parsed = frames.parseClientFrame(text);
    const limit = this.http.config.http.bodyLimitBytes;
    if (bytes > limit) {
      const err = new HubError(
        'payload_too_large',
        `This frame is ${bytes} bytes; a frame may be at most ${limit} bytes (http.bodyLimitBytes): send fewer messages per send_batch frame`,
        { details: { limit, bytes } },
      );
      return this.sendError(err, parsed.id);
    }
    if ('error' in parsed) return this.sendError(parsed.error, parsed.id);
    try {
      await this.handle(parsed.frame, parsed.id);
    } catch (err) {
      this.sendError(toHubError(err), parsed.id);
    }
  }

  private async handle(frame: ClientFrame, id: FrameId | undefined): Promise<void> {
    switch (frame.type) {
      case 'ping':
        return this.send(frames.pong(id));
      case 'heartbeat': {
        const { type: _type, id: _id, ...input } = frame;
        return this.reply(id, await this.call('heartbeat', input));
      }
      case 'ack': {
        const { type: _type, id: _id, ...input } = frame;
        return this.reply(id, await this.call('ack_message', input));
      }
      case 'send': {
        // "type" names the frame, so a message's own type (request, response, ...) travels as message_type.
        const { type: _type, id: _id, message_type, ...send } = frame;
        const input = message_type === undefined ? send : { ...send, type: message_type };
        return this.reply(id, await this.call('send_message', input));
      }
      case 'send_batch':
        return this.reply(id, { results: await this.sendBatch(frame.messages as unknown[]) });
      case 'call':
        return this.reply(id, await this.call(frame.op, frame.input ?? {}));
    }
  }

  /** The sends of a `send_batch` frame: each message's `message_type` is its own `type`. */
  private sendBatch(messages: unknown[]): Promise<BatchSlot[]> {
    if (!this.ctx) throw new HubError('unavailable', 'The connection is not ready yet');
    const inputs = checkBatch(messages).map((m) => {
      if (!m || typeof m !== 'object' || Array.isArray(m) || !Object.hasOwn(m, 'message_type')) return m;
      const { message_type, ...send } = m as { message_type?: unknown };
      return message_type === undefined ? send : { ...send, type: message_type };
    });
    return sendBatch(this.http.invoker, this.ctx, inputs, this.req.ip);
  }

  private call(op: string, input: unknown): Promise<unknown> {
    if (!this.ctx) throw new HubError('unavailable', 'The connection is not ready yet');
    return this.http.invoker.invoke(this.http.invoker.get(op), this.ctx, input, this.req.ip);
  }

  private reply(id: FrameId | undefined, result: unknown): void {
    this.send(frames.result(id, result));
  }

  private sendError(err: HubError, id?: FrameId): void {
    this.send(frames.error(err.toJSON(), id));
  }

  private send(frame: ServerFrame): void {
    this.writer.frame(frame);
  }

  private ping(): void {
    if (!this.alive) {
      this.socket.terminate();
      return;
    }
    this.alive = false;
    this.socket.ping();
  }

  fail(err: HubError): void {
    this.sendError(err);
    this.writer.close(err);
  }

  close(): void {
    this.closed.abort();
    this.feed.close();
    if (this.pinger) clearInterval(this.pinger);
  }
}
