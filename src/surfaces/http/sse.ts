/**
 * `GET /api/v1/events`: Server-Sent Events of what the caller may see. An agent gets its own
 * messages and acks plus agent and topic events; the admin gets every hub-wide event; without a
 * token, agent presence events only. Agents may resume with `Last-Event-ID` or `?since=<cursor>`.
 */
import type { FastifyInstance } from 'fastify';
import { channels } from '../../bus/bus.js';
import type { HubEvent } from '../../bus/events.js';
import type { Caller } from '../../core/caller.js';
import { toHubError } from '../../core/errors.js';
import { parseSince } from '../../domain/messages/service.js';
import { bearerFrom, identify, queryParam } from './auth.js';
import type { HttpContext } from './context.js';
import { sendError } from './reply.js';

const KEEPALIVE_MS = 15_000;

export function mountSse(app: FastifyInstance, http: HttpContext): void {
  let open = 0;

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
    http.metrics.connections.set({ kind: 'sse' }, open);

    let lastCursor = 0;
    let replaying = true;
    const held: HubEvent[] = [];
    const write = (event: HubEvent, id?: string) => {
      res.write(`${id ? `id: ${id}\n` : ''}event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    };
    const deliver = (event: HubEvent) => {
      if (replaying) {
        held.push(event);
        return;
      }
      if (event.type === 'message') {
        const cursor = Number(event.cursor);
        if (cursor <= lastCursor) return;
        lastCursor = cursor;
        write(event, event.cursor);
        http.metrics.pushed('sse', event.message.created_at);
        return;
      }
      write(event);
    };

    const subs: Array<() => void> = [];
    if (caller.kind === 'admin') {
      subs.push(http.bus.subscribe(channels.all, deliver));
    } else {
      const me = caller.kind === 'agent' ? caller.agentId : undefined;
      subs.push(
        http.bus.subscribe(channels.all, (e) => {
          if (e.type.startsWith('agent.')) deliver(e);
          else if (me && e.type.startsWith('topic.') && 'agent_id' in e && e.agent_id === me) deliver(e);
        }),
      );
      if (me) subs.push(http.bus.subscribe(channels.agent(me), deliver));
    }
    res.write(`: connected as ${caller.kind === 'agent' ? caller.agentId : caller.kind}\n\n`);

    if (caller.kind === 'agent' && resumeFrom) {
      // Page through the backlog, however long, before going live.
      for await (const page of http.services.messages.backlog(caller.agentId, resumeFrom)) {
        for (const message of page) {
          write(
            {
              type: 'message',
              at: message.created_at,
              agent_id: caller.agentId,
              cursor: message.cursor,
              message,
            },
            message.cursor,
          );
          lastCursor = Number(message.cursor);
        }
        if (res.destroyed) break;
      }
    }
    replaying = false;
    for (const e of held.splice(0)) deliver(e);

    const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
    res.once('close', () => {
      clearInterval(keepalive);
      for (const unsubscribe of subs) unsubscribe();
      open--;
      http.metrics.connections.set({ kind: 'sse' }, open);
    });
  });
}
