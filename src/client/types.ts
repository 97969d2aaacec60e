/**
 * The public types of the client: the wire views, hub events, and each operation's input and output,
 * all derived from the hub's catalog. Type-only imports: nothing of the server is loaded at run time.
 */
import type { HubEvent } from '../bus/events.js';
import type { ErrorCode } from '../core/errors.js';
import type { OperationMap, OperationName } from '../ops/catalog.js';

export type { HubEvent, HubEventType } from '../bus/events.js';
export type { ClientFrame, MessageFrame, ServerFrame, SseEvent } from '../bus/frames.js';
export type { AgentStatus, AgentView, InboxMessageView, MessageView } from '../core/wire/index.js';
export type { ErrorCode, OperationMap, OperationName };

/** The input an operation accepts (as sent over the wire). */
export type OpInput<N extends OperationName> = OperationMap[N]['input'];
/** What an operation returns. */
export type OpOutput<N extends OperationName> = OperationMap[N]['output'];

export type SendInput = OpInput<'send_message'>;
export type SendResult = OpOutput<'send_message'>;
export type InboxInput = OpInput<'check_inbox'>;
export type InboxResult = OpOutput<'check_inbox'>;
export type RegisterInput = OpInput<'register_agent'>;
export type RegisterResult = OpOutput<'register_agent'>;

/** A message body: text or a JSON object. */
export type MessageBody = string | Record<string, unknown>;

/**
 * A hub event as streamed over SSE, with its event id when it has one (a cursor, for resuming).
 * Without a token the stream carries presence only (`SseEvent`: an agent cut to id, name, status, project).
 */
export type StreamedEvent = HubEvent & { id?: string };

/** Per-call options. */
export interface CallOptions {
  /** Abort the call. */
  signal?: AbortSignal;
  /** Give up after this many milliseconds (default: none for blocking operations, 30 s otherwise). */
  timeoutMs?: number;
}
