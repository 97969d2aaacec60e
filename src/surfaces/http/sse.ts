/**
 * `GET /api/v1/events`: Server-Sent Events of what the caller may see (sse-scope.ts). An agent gets its
 * own messages and acks plus its project's agent events and its own topic events; the admin gets every
 * hub-wide event; without a token, agent presence only (a 401 while `auth.anonymousDirectory` is off). Agents may resume with `Last-Event-ID` or `?since=<cursor>`. A stream
 * too far behind is ended (sse-writer.ts) and resumes from its last event id.
 */
import type { FastifyInstance } from 'fastify';
import { channels } from '../../bus/bus.js';
import { messageEvent, type SseEvent } from '../../bus/frames.js';
import type { Caller } from '../../core/caller.js';
import { toHubError } from '../../core/errors.js';
import { parseSince } from '../../core/since.js';
import { bearerFrom, identify, queryParam } from './auth.js';
import type { HttpContext } from './context.js';
import { sendError } from './reply.js';
import { Feed } from '../feed.js';
import { hubWideScope } from './sse-scope.js';
import { SseWriter } from './sse-writer.js';

const KEEPALIVE_MS = 15_000;

export function mountSse(app: FastifyInstance, http: HttpContext): void {
  let open = 0;
  const gauge = () => http.metrics.connections.set({ kind: 'sse' }, open);
  const maxBytes = http.config.streams.maxBufferedBytes;

  app.get('/api/v1/events', async (req, reply) => {
    const query = req.query as Record<string, string | undefined>;
    let caller: Caller;
    let resumeFrom: string | undefined;
    try {
      ({ caller } = await identify(
        http.services,
        http.adminToken,
        bearerFrom(req.headers.authorization) ?? queryParam(query.token, 'token'),
      ));
      resumeFrom = (req.headers['last-event-id'] as string | undefined) ?? queryParam(query.since, 'since');
      parseSince(resumeFrom); // a bad cursor is a 400 before the stream opens
      if (caller.kind === 'agent') await http.services.agents.requireActive(caller.agentId);
      // A closed directory (auth.anonymousDirectory off) is a 401 before the stream opens.
      await http.services.agents.requireDirectory(caller);
    } catch (err) {
      return sendError(reply, toHubError(err));
    }

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    open++;
    gauge();

    // Each event is serialized once: to weigh it while it is held, and to write it.
    const serialized = new WeakMap<object, string>();
    const data = (event: object) => {
      let text = serialized.get(event);
      if (text === undefined) {
        text = JSON.stringify(event);
        serialized.set(event, text);
      }
      return text;
    };
    const scope = hubWideScope(caller, (id) => http.services.agents.projectOf(id));
    const agentId = caller.kind === 'agent' ? caller.agentId : undefined;
    const feed = new Feed<SseEvent>({
      bus: http.bus,
      subscriptions: [
        { channel: channels.all, select: scope },
        ...(agentId ? [{ channel: channels.agent(agentId), select: (event: SseEvent) => event }] : []),
      ],
      backlog: agentId ? (since) => http.services.messages.backlog(agentId, since) : undefined,
      latestCursor: agentId ? () => http.services.messages.latestCursor(agentId) : undefined,
      // Several nodes publish (PostgreSQL): a send on another node may arrive after a later one here.
      gapFill: http.services.info.nodes.store === 'postgres',
      // Live events that arrive while the backlog is written wait (bounded like the socket).
      hold: {
        maxBytes,
        sizeOf: (event) => data(event).length,
        overflow: (bytes) => writer.tooSlow(writer.buffered + bytes),
      },
    });
    const writer = new SseWriter(res, maxBytes, () => {
      feed.close();
      http.metrics.connectionsClosed.inc({ kind: 'sse', reason: 'slow' });
    });
    let keepalive: NodeJS.Timeout | undefined;
    res.once('close', () => {
      clearInterval(keepalive);
      feed.close();
      open--;
      gauge();
    });

    writer.comment(`connected as ${caller.kind === 'agent' ? caller.agentId : caller.kind}`);
    // Page through the backlog, however long, at the pace the client reads it.
    await feed.start(
      {
        replayed: (message) => writer.event('message', data(messageEvent(agentId!, message)), message.cursor),
        message: (event) => {
          if (writer.event('message', data(event), event.cursor))
            http.metrics.pushed('sse', event.message.created_at);
        },
        event: (event) => writer.event(event.type, data(event)),
        drained: () => writer.drained(),
        get open() {
          return writer.open;
        },
      },
      resumeFrom,
    );

    if (writer.open) keepalive = setInterval(() => writer.comment('keepalive'), KEEPALIVE_MS);
  });
}
