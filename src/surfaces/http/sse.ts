/**
 * `GET /api/v1/events`: Server-Sent Events of what the caller may see (sse-scope.ts). An agent gets its
 * own messages and acks plus its project's agent events and its own topic events; the admin gets every
 * hub-wide event; without a token, agent presence only (a 401 while `auth.anonymousDirectory` is off). Agents may resume with `Last-Event-ID` or `?since=<cursor>`. A stream
 * too far behind is ended (sse-writer.ts) and resumes from its last event id.
 */
import type { FastifyInstance } from 'fastify';
import { channels } from '../../bus/bus.js';
import type { HubEvent } from '../../bus/events.js';
import type { Caller } from '../../core/caller.js';
import { toHubError } from '../../core/errors.js';
import { directoryClosed } from '../../domain/agents/directory.js';
import { parseSince } from '../../domain/messages/service.js';
import { bearerFrom, identify, queryParam } from './auth.js';
import type { HttpContext } from './context.js';
import { sendError } from './reply.js';
import { hubWideScope, type StreamedEvent } from './sse-scope.js';
import { SseWriter } from './sse-writer.js';

const KEEPALIVE_MS = 15_000;

type MessageEvent = Extract<HubEvent, { type: 'message' }>;

/** A live event and its serialized data, written once the stream is ready for it. */
interface Pending {
  event: StreamedEvent;
  data: string;
}

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
      if ((await http.services.agents.directoryView(caller)).kind === 'closed') throw directoryClosed();
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

    const subs: Array<() => void> = [];
    const unsubscribe = () => {
      for (const stop of subs.splice(0)) stop();
    };
    const writer = new SseWriter(res, maxBytes, () => {
      unsubscribe();
      http.metrics.connectionsClosed.inc({ kind: 'sse', reason: 'slow' });
    });
    let keepalive: NodeJS.Timeout | undefined;
    res.once('close', () => {
      clearInterval(keepalive);
      unsubscribe();
      open--;
      gauge();
    });

    let lastCursor = 0;
    // Live events that arrive while the backlog is written wait here (bounded like the socket).
    let held: Pending[] | undefined = [];
    let heldBytes = 0;
    const emit = ({ event, data }: Pending) => {
      if (event.type !== 'message') {
        writer.event(event.type, data);
        return;
      }
      const message = event as unknown as MessageEvent;
      const cursor = Number(message.cursor);
      if (cursor <= lastCursor) return;
      lastCursor = cursor;
      if (writer.event('message', data, message.cursor))
        http.metrics.pushed('sse', message.message.created_at);
    };
    const deliver = (event: StreamedEvent) => {
      const pending = { event, data: JSON.stringify(event) };
      if (!held) return emit(pending);
      held.push(pending);
      heldBytes += pending.data.length;
      if (heldBytes > maxBytes) writer.tooSlow(writer.buffered + heldBytes);
    };

    const scope = hubWideScope(caller, (id) => http.services.agents.projectOf(id));
    subs.push(
      http.bus.subscribe(channels.all, (e) => {
        const visible = scope(e);
        if (visible) deliver(visible);
      }),
    );
    if (caller.kind === 'agent') subs.push(http.bus.subscribe(channels.agent(caller.agentId), deliver));
    writer.comment(`connected as ${caller.kind === 'agent' ? caller.agentId : caller.kind}`);

    if (caller.kind === 'agent' && resumeFrom) {
      // Page through the backlog, however long, at the pace the client reads it.
      replay: for await (const page of http.services.messages.backlog(caller.agentId, resumeFrom)) {
        for (const message of page) {
          await writer.drained();
          if (!writer.open) break replay;
          const event = {
            type: 'message',
            at: message.created_at,
            agent_id: caller.agentId,
            cursor: message.cursor,
            message,
          };
          writer.event('message', JSON.stringify(event), message.cursor);
          lastCursor = Number(message.cursor);
        }
      }
    }
    while (held.length > 0 && writer.open) {
      await writer.drained();
      const next = held.shift()!;
      heldBytes -= next.data.length;
      emit(next);
    }
    held = undefined;

    if (writer.open) keepalive = setInterval(() => writer.comment('keepalive'), KEEPALIVE_MS);
  });
}
