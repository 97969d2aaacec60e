/**
 * The live protocol: every frame the hub sends over the WebSocket (`/ws/:agent_id`) and as Server-Sent
 * Events (`/api/v1/events`), and every frame a client sends over the WebSocket. Zod schemas, types by
 * `z.infer`; the server builds its frames with the functions below and the client (`HubSocket`,
 * `streamEvents`, `AgentClient`'s `onEvent`) and `switchboard tail` import the types.
 *
 * Hub events are forwarded as the bus carries them (src/bus/*-events.ts defines each one); the
 * envelope frames (ready, message, result, error, pong) are defined here.
 */
import { z } from 'zod';
import { ERROR_CODES, type ErrorBody, HubError } from '../core/errors.js';
import { type AgentSummary, type InboxMessageView, inboxMessageView } from '../core/wire/index.js';
import type { HubEvent } from './events.js';

/** A frame's correlation id: what the client put in `id`, echoed on the answer. */
export const frameId = z.union([z.string(), z.number()]);
export type FrameId = z.infer<typeof frameId>;

/** The body of every error the hub reports (`HubError.toJSON()`). */
export const errorBody = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  details: z.unknown().optional(),
});
export type ErrorBodyFrame = z.infer<typeof errorBody>;

// ---- Server → client, WebSocket -------------------------------------------------------------------

/** Sent once the connection is authenticated and any replay is written: live frames follow. */
export const readyFrame = z.object({
  type: z.literal('ready'),
  agent_id: z.string(),
  /** The newest cursor this connection has covered: resume from here. */
  cursor: z.string(),
});

/** One message of the agent's inbox; `replay: true` when it was read back from the store (`?since=`). */
export const messageFrame = z.object({
  type: z.literal('message'),
  cursor: z.string(),
  message: inboxMessageView,
  replay: z.literal(true).optional(),
});

/** The answer to a client frame with an `id` (heartbeat, ack, send, call). */
export const resultFrame = z.object({
  type: z.literal('result'),
  id: frameId.optional(),
  result: z.unknown(),
});

/** One message's outcome in a `send_batch` answer (`result.results`, in the frame's order). */
export const batchSlot = z.union([
  z.looseObject({ success: z.literal(true), message_id: z.string() }),
  z.object({ success: z.literal(false), error: errorBody }),
]);
export type BatchSlot = z.infer<typeof batchSlot>;
/** The `result` of a `send_batch` frame. */
export const sendBatchResult = z.object({ results: z.array(batchSlot) });
export type SendBatchResult = z.infer<typeof sendBatchResult>;

/** A refused frame (with its `id`), or, without one, why the connection is refused or closing. */
export const errorFrame = z.object({
  type: z.literal('error'),
  id: frameId.optional(),
  error: errorBody,
});

export const pongFrame = z.object({ type: z.literal('pong'), id: frameId.optional() });

/** The frames the hub itself makes, as opposed to hub events it forwards. */
export const envelopeFrame = z.discriminatedUnion('type', [
  readyFrame,
  messageFrame,
  resultFrame,
  errorFrame,
  pongFrame,
]);

/** A hub event other than `message` (which travels as a message frame), as the bus carries it. */
export type EventFrame = Exclude<HubEvent, { type: 'message' }>;
export const eventFrame = z.custom<EventFrame>(
  (v) => isEvent(v) && v.type !== 'message',
  'A hub event needs a "type" (e.g. task.created) and an "at" time',
);

/** An object with a string `type` and `at`: the shape every hub event shares. */
function isEvent(v: unknown): v is { type: string; at: string } {
  if (typeof v !== 'object' || v === null) return false;
  const { type, at } = v as { type?: unknown; at?: unknown };
  return typeof type === 'string' && typeof at === 'string';
}

/** Every frame of the WebSocket, server to client. */
export const serverFrame = z.union([envelopeFrame, eventFrame]);
export type ReadyFrame = z.infer<typeof readyFrame>;
export type MessageFrame = z.infer<typeof messageFrame>;
export type ResultFrame = z.infer<typeof resultFrame>;
export type ErrorFrame = z.infer<typeof errorFrame>;
export type PongFrame = z.infer<typeof pongFrame>;
export type ServerFrame = z.infer<typeof serverFrame>;

export const ready = (agentId: string, cursor: string): ReadyFrame => ({
  type: 'ready',
  agent_id: agentId,
  cursor,
});

/** The message frame, live or replayed: built here only. */
export function message(cursor: string, view: InboxMessageView, replay = false): MessageFrame {
  return replay
    ? { type: 'message', cursor, message: view, replay: true }
    : { type: 'message', cursor, message: view };
}

export const result = (id: FrameId | undefined, value: unknown): ResultFrame => ({
  type: 'result',
  id,
  result: value,
});

export const error = (err: ErrorBody, id?: FrameId): ErrorFrame => ({ type: 'error', id, error: err });

export const pong = (id: FrameId | undefined): PongFrame => ({ type: 'pong', id });

/** A hub event as a WebSocket frame: its fields as published, `type` last. */
export function event(e: EventFrame): EventFrame {
  const { type, ...rest } = e;
  return { ...rest, type } as EventFrame;
}

// ---- Server → client, Server-Sent Events ----------------------------------------------------------

/** What a caller without a token sees of an agent's registration or update: presence, nothing more. */
export type PresenceAgent = Pick<AgentSummary, 'agent_id' | 'name' | 'status' | 'project'>;
export type PresenceEvent = {
  type: 'agent.registered' | 'agent.updated';
  at: string;
  agent: PresenceAgent;
};

/**
 * The data of one SSE event (its `event:` line is the `type`): a hub event as the bus carries it
 * (a message with its cursor as the event id), or a narrower presence copy for a caller without a
 * token. The stream's closing `event: error` carries an `errorBody` instead.
 */
export type SseEvent = HubEvent | PresenceEvent;
export const sseEvent = z.custom<SseEvent>(isEvent, 'An event needs a "type" and an "at" time');

/** A replayed message as an SSE event: the same shape as the live one the bus carries. */
export const messageEvent = (
  agentId: string,
  view: InboxMessageView,
): Extract<HubEvent, { type: 'message' }> => ({
  type: 'message',
  at: view.created_at,
  agent_id: agentId,
  cursor: view.cursor,
  message: view,
});

// ---- Client → server, WebSocket -------------------------------------------------------------------

const request = { id: z.unknown().optional() };

/** Answered with `pong`. */
export const pingFrame = z.object({ type: z.literal('ping'), ...request }).loose();
/** The `heartbeat` operation's input beside `type` and `id`. */
export const heartbeatFrame = z.object({ type: z.literal('heartbeat'), ...request }).loose();
/** The `ack_message` operation's input beside `type` and `id`. */
export const ackFrame = z.object({ type: z.literal('ack'), ...request }).loose();
/** `send_message`'s input; a message's own type travels as `message_type` ("type" names the frame). */
export const sendFrame = z
  .object({ type: z.literal('send'), ...request, message_type: z.unknown().optional() })
  .loose();
/**
 * Several sends in one frame: `messages` holds each send's `send_message` input (its own type in
 * `message_type`, as in a `send` frame). Answered with one `result` whose `results` has one slot per
 * message, in order: `{success:true, message_id, ...}` or `{success:false, error}`.
 */
export const sendBatchFrame = z
  .object({ type: z.literal('send_batch'), ...request, messages: z.unknown() })
  .loose();
/** Any operation, as this agent. */
export const callFrame = z
  .object({ type: z.literal('call'), ...request, op: z.string(), input: z.unknown().optional() })
  .loose();

export const clientFrame = z.discriminatedUnion('type', [
  pingFrame,
  heartbeatFrame,
  ackFrame,
  sendFrame,
  sendBatchFrame,
  callFrame,
]);
export type ClientFrame = z.infer<typeof clientFrame>;
export type ClientFrameType = ClientFrame['type'];
export const CLIENT_FRAME_TYPES: readonly ClientFrameType[] = [
  'ping',
  'heartbeat',
  'ack',
  'send',
  'send_batch',
  'call',
];

/** The correlation id of a client frame: a string or number is echoed, anything else is dropped. */
export function requestId(frame: { id?: unknown }): FrameId | undefined {
  return typeof frame.id === 'string' || typeof frame.id === 'number' ? frame.id : undefined;
}

/**
 * Reads one client frame. A frame that is not a JSON object, of an unknown type, or a `call` without
 * an operation name is refused with a HubError saying what to send instead; `id` is the frame's
 * correlation id when it has one (echoed on the error).
 */
export function parseClientFrame(
  text: string,
): { frame: ClientFrame; id?: FrameId } | { error: HubError; id?: FrameId } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    raw = undefined;
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    return { error: new HubError('invalid_input', 'Each frame must be a JSON object with a "type"') };
  const id = requestId(raw as { id?: unknown });
  const type = (raw as { type?: unknown }).type;
  if (!CLIENT_FRAME_TYPES.includes(type as ClientFrameType)) {
    const error = new HubError(
      'invalid_input',
      `Unknown frame type ${JSON.stringify(type)}; use ping, heartbeat, ack, send, send_batch or call`,
    );
    return { error, id };
  }
  // Checked by the schema, passed on as sent: the operation's own schema reads the fields.
  if (!clientFrame.safeParse(raw).success)
    return { error: new HubError('invalid_input', 'A call frame needs "op" (an operation name)'), id };
  if (type === 'send_batch') {
    const messages = (raw as { messages?: unknown }).messages;
    if (!Array.isArray(messages))
      return {
        error: new HubError('invalid_input', 'A send_batch frame needs "messages": a list of sends'),
        id,
      };
  }
  return { frame: raw as ClientFrame, id };
}
