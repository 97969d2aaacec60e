/** Messages: send, inboxes with cursors, blocking waits, read and ack, threads, search, topics. */
import { channels } from '../../bus/bus.js';
import { Waiter } from '../../bus/waiter.js';
import { HubError, notFound, toHubError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { parseSince } from '../../core/since.js';
import { iso } from '../../core/time.js';
import type { InboxMessageView, MessageView } from '../../core/wire/index.js';
import type {
  AgentRecord,
  Importance,
  InboxEntry,
  InsertMessageResult,
  MessageRecord,
  NewMessage,
} from '../../store/types.js';
import type { DomainDeps } from '../deps.js';
import {
  type Address,
  type AgentDirectory,
  emptySendWarning,
  resolveRecipients,
  TOPIC_PATTERN,
} from './addressing.js';
import { searchTerms } from './search-query.js';
import { readThread, threadForSend } from './threads.js';
import { inboxView, messageView } from './views.js';

export interface SendInput {
  to: Address;
  type?: string;
  subject?: string;
  body?: unknown;
  thread_id?: string;
  reply_to?: string;
  correlation_id?: string;
  importance?: Importance;
  ack_required?: boolean;
  ttl_seconds?: number;
  idempotency_key?: string;
}

export interface SendResult {
  message_id: string;
  thread_id: string;
  recipients: string[];
  created_at: string;
  expires_at: string | null;
  /** True when this was a resend with a known idempotency key: nothing new was stored. */
  duplicate: boolean;
  /** Set when the message reached no one (`ALL` alone in a project, a topic nobody subscribes to). */
  warning?: string;
}

export interface SendOptions {
  /** The admin is sending for the agent: it may name any thread or message. */
  admin?: boolean;
}

export interface InboxInput {
  /** A cursor from an earlier answer, or an ISO time. */
  since?: string;
  limit?: number;
  /** Default: true when `since` is omitted (your unread messages), false with `since`. */
  unread_only?: boolean;
  /** Default true: messages returned count as read. */
  mark_read?: boolean;
}

export interface InboxResult {
  messages: InboxMessageView[];
  next_cursor: string;
  has_more: boolean;
}

export interface WaitInput {
  timeout_seconds?: number;
  since?: string;
  limit?: number;
}

export type ProgressFn = (elapsedSeconds: number, totalSeconds: number) => void;

/** Sent messages live in `delivered` histograms etc.; services report through this hook. */
export interface MessageObserver {
  sent(recipients: number): void;
}

/** Told which deliveries (cursors) an agent marked read, and when (some may have been read before). */
export type ReadListener = (agentId: string, cursors: number[], at: string) => void;

export class MessageService {
  private readonly readListeners: ReadListener[] = [];

  constructor(
    private readonly d: DomainDeps,
    private readonly directory: AgentDirectory,
    private readonly observer?: MessageObserver,
  ) {}

  /** Analytics times deliveries from send to read. */
  onRead(listener: ReadListener): void {
    this.readListeners.push(listener);
  }

  private told(agentId: string, cursors: number[], at: string): void {
    for (const l of this.readListeners) l(agentId, cursors, at);
  }

  private nowIso(): string {
    return iso(this.d.clock.now());
  }

  async send(sender: AgentRecord, input: SendInput, opts: SendOptions = {}): Promise<SendResult> {
    const prepared = await this.prepare(sender, input, opts);
    if ('done' in prepared) return prepared.done;
    return this.publish(await this.d.store.insertMessage(prepared.message), prepared.message.recipients);
  }

  /**
   * Several sends of one sender (a WebSocket `send_batch` frame): each is checked on its own and
   * fails alone (its slot holds the error), the rest are handed to the store together, in order, so
   * they share a group commit (SQLite: one transaction, so each recipient sees them in the order
   * given; PostgreSQL: up to 200 per statement, see store/postgres/send-batch.ts). Each result settles
   * only after its message has committed.
   */
  async sendMany(
    sender: AgentRecord,
    inputs: ReadonlyArray<SendInput | HubError>,
    opts: SendOptions = {},
  ): Promise<Array<SendResult | HubError>> {
    // The reads run side by side (PostgreSQL: round trips overlap); the writes wait for all of them.
    const slots = await Promise.all(
      inputs.map((input) =>
        input instanceof HubError
          ? { done: input }
          : this.prepare(sender, input, opts).catch((err: unknown) => ({ done: toHubError(err) })),
      ),
    );
    // Queued in one go (no await between them): the store writes them in this order, in one commit.
    // A key used earlier in the batch is answered with that message (stores may write a batch's
    // sends in overlapping transactions, so leaving it to the store would not say which one wins).
    const byKey = new Map<string, Promise<SendResult | HubError>>();
    return Promise.all(
      slots.map((slot) => {
        if ('done' in slot) return slot.done;
        const key = slot.message.idempotencyKey;
        const earlier = key === null ? undefined : byKey.get(key);
        if (earlier) return earlier.then((r) => (r instanceof HubError ? r : { ...r, duplicate: true }));
        const written = this.d.store.insertMessage(slot.message).then(
          (result) => this.publish(result, slot.message.recipients),
          (err: unknown) => toHubError(err),
        );
        if (key !== null) byKey.set(key, written);
        return written;
      }),
    );
  }

  /** Everything a send checks and reads before it writes; `done` when nothing is to be written. */
  private async prepare(
    sender: AgentRecord,
    input: SendInput,
    opts: SendOptions,
  ): Promise<{ done: SendResult } | { message: NewMessage }> {
    const { store, config } = this.d;
    if (input.idempotency_key) {
      const earlier = await store.findByIdempotencyKey(sender.id, input.idempotency_key);
      if (earlier) return { done: sendResult(earlier.message, true) };
    }
    const body = input.body ?? '';
    const size = Buffer.byteLength(JSON.stringify(body));
    if (size > config.messages.maxBodyBytes) {
      throw new HubError(
        'payload_too_large',
        `body is ${size} bytes; the largest message body this hub accepts is ${config.messages.maxBodyBytes} bytes`,
      );
    }
    const recipients = await resolveRecipients(store, this.directory, input.to, sender);
    const id = newId('msg');
    const threadId = await threadForSend(store, sender, input, id, opts.admin ?? false);
    const nowMs = this.d.clock.now();
    const createdAt = iso(nowMs);
    return {
      message: {
        id,
        from: sender.id,
        to: input.to,
        type: input.type ?? 'message',
        subject: input.subject ?? null,
        body,
        threadId,
        replyTo: input.reply_to ?? null,
        correlationId: input.correlation_id ?? null,
        importance: input.importance ?? 'normal',
        ackRequired: input.ack_required ?? false,
        project: sender.project,
        createdAt,
        expiresAt: input.ttl_seconds ? iso(nowMs + input.ttl_seconds * 1000) : null,
        idempotencyKey: input.idempotency_key ?? null,
        recipients,
        sentByAdmin: opts.admin ?? false,
      },
    };
  }

  /** After the commit: the live pushes and the sender's answer. */
  private publish(result: InsertMessageResult, recipients: string[]): SendResult {
    if (result.duplicate) return sendResult(result.message, true);
    const { bus } = this.d;
    const createdAt = result.message.createdAt;
    const view = messageView(result.message);
    for (const d of result.deliveries) {
      const cursor = String(d.cursor);
      bus.publish(channels.agent(d.agentId), {
        type: 'message',
        at: createdAt,
        agent_id: d.agentId,
        cursor,
        message: { ...view, cursor, read_at: null, acked_at: null },
      });
    }
    bus.publish(channels.all, { type: 'message.sent', at: createdAt, message: view, recipients });
    this.observer?.sent(recipients.length);
    return sendResult(result.message, false);
  }

  async inbox(agentId: string, input: InboxInput): Promise<InboxResult> {
    return (await this.inboxPage(agentId, input, false))!;
  }

  /**
   * `inbox`, or with `undefinedWhenEmpty` undefined for an empty page: a wait's check throws an empty
   * page away, so it does not look up the inbox's latest cursor for it (one query less per wait).
   */
  private async inboxPage(
    agentId: string,
    input: InboxInput,
    undefinedWhenEmpty: boolean,
  ): Promise<InboxResult | undefined> {
    const limit = input.limit ?? 50;
    const position = parseSince(input.since);
    const unreadOnly = input.unread_only ?? input.since === undefined;
    const look = () =>
      this.d.store.listInbox(agentId, { ...position, unreadOnly, limit: limit + 1, now: this.nowIso() });
    let entries = await look();
    if (undefinedWhenEmpty && entries.length === 0) return undefined;
    // An empty page without a cursor answers with the inbox's newest one, where the reader goes on
    // from, so that cursor must not pass a message the page did not hold. Inbox cursors are taken in
    // commit order: the newest cursor read *before* a look that finds nothing is safe, one read after
    // it may cover a message that committed in between (on PostgreSQL the two reads are round trips
    // apart). So: read it, then look again.
    let latest: number | undefined;
    if (entries.length === 0 && position.afterCursor === undefined) {
      latest = await this.d.store.latestCursor(agentId);
      entries = await look();
    }
    const hasMore = entries.length > limit;
    const page = hasMore ? entries.slice(0, limit) : entries;
    if (input.mark_read !== false) await this.markEntriesRead(agentId, page);
    const last = page.at(-1);
    const nextCursor = last ? String(last.cursor) : String(position.afterCursor ?? latest ?? 0);
    return { messages: page.map(inboxView), next_cursor: nextCursor, has_more: hasMore };
  }

  private async markEntriesRead(agentId: string, entries: InboxEntry[]): Promise<void> {
    const unread = entries.filter((e) => e.readAt === null);
    if (unread.length === 0) return;
    const at = this.nowIso();
    const cursors = unread.map((e) => e.cursor);
    if ((await this.d.store.markRead(agentId, cursors, at)) > 0) this.told(agentId, cursors, at);
    for (const e of unread) e.readAt = at;
  }

  /**
   * Returns at once when matching messages are waiting; otherwise blocks until one arrives (woken by
   * the bus, no polling) or the timeout passes. Returned messages count as read.
   */
  async wait(
    agentId: string,
    input: WaitInput,
    signal?: AbortSignal,
    onProgress?: ProgressFn,
  ): Promise<InboxResult & { timed_out: boolean }> {
    const { config } = this.d;
    const timeout = Math.min(
      input.timeout_seconds ?? config.messages.defaultWaitSeconds,
      config.messages.maxWaitSeconds,
    );
    const query: InboxInput = { since: input.since, limit: input.limit ?? 50 };
    // Subscribed before the first look, so a message arriving in between still wakes the wait.
    const waiter = new Waiter(this.d.bus, [channels.agent(agentId)], (event) => event.type === 'message');
    try {
      const found = await waiter.until(() => this.inboxPage(agentId, query, true), {
        timeoutMs: timeout * 1000,
        signal,
        progress: onProgress,
      });
      if (found) return { ...found, timed_out: false };
      const last = await this.inbox(agentId, query);
      return { ...last, timed_out: last.messages.length === 0 };
    } finally {
      waiter.close();
    }
  }

  /**
   * Everything in an agent's inbox after a position (cursor or time), page by page, read or not,
   * without marking anything: what a reconnecting WebSocket or SSE client replays before live events.
   */
  async *backlog(
    agentId: string,
    since: string | undefined,
    pageSize = 500,
  ): AsyncGenerator<InboxMessageView[]> {
    const position = parseSince(since);
    let after = position.afterCursor ?? 0;
    for (;;) {
      const entries = await this.d.store.listInbox(agentId, {
        afterCursor: after,
        sinceTime: position.sinceTime,
        limit: pageSize,
        now: this.nowIso(),
      });
      if (entries.length > 0) {
        after = entries[entries.length - 1].cursor;
        yield entries.map(inboxView);
      }
      if (entries.length < pageSize) return;
    }
  }

  /** The newest cursor in an agent's inbox ("0" when it is empty). */
  async latestCursor(agentId: string): Promise<string> {
    return String(await this.d.store.latestCursor(agentId));
  }

  async markRead(agentId: string, messageIds: string[]): Promise<number> {
    const entries = await this.entriesFor(agentId, messageIds);
    const cursors = entries.map((e) => e.cursor);
    const at = this.nowIso();
    const marked = await this.d.store.markRead(agentId, cursors, at);
    if (marked > 0) this.told(agentId, cursors, at);
    return marked;
  }

  private async entriesFor(agentId: string, messageIds: string[]) {
    const out: Array<{ cursor: number }> = [];
    for (const id of new Set(messageIds)) {
      const status = (await this.d.store.getDeliveryStatus(id)).find((s) => s.agentId === agentId);
      if (status) out.push({ cursor: status.cursor });
    }
    return out;
  }

  async ack(agentId: string, messageIds: string[]): Promise<{ acked: string[]; unknown: string[] }> {
    const at = this.nowIso();
    const results = await this.d.store.ackMessages(agentId, [...new Set(messageIds)], at);
    const known = new Set(results.map((r) => r.messageId));
    for (const r of results) {
      if (!r.newlyAcked) continue;
      const event = { type: 'ack' as const, at, message_id: r.messageId, by: agentId, to: r.from };
      this.d.bus.publish(channels.agent(r.from), event);
      this.d.bus.publish(channels.all, event);
    }
    return { acked: [...known], unknown: messageIds.filter((id) => !known.has(id)) };
  }

  /** One message with who has read and acknowledged it; visible to its sender and recipients. */
  async get(viewer: string | null, messageId: string) {
    const m = await this.d.store.getMessage(messageId);
    if (!m || (viewer && !(m.from === viewer || m.recipients.includes(viewer))))
      throw notFound(`Message ${messageId}`);
    const deliveries = await this.d.store.getDeliveryStatus(messageId);
    const visible = viewer && m.from !== viewer ? deliveries.filter((x) => x.agentId === viewer) : deliveries;
    return {
      message: messageView(m),
      deliveries: visible.map((x) => ({
        agent_id: x.agentId,
        cursor: String(x.cursor),
        read_at: x.readAt,
        acked_at: x.ackedAt,
      })),
    };
  }

  /** The thread's messages the viewer sent or received (the admin: all), oldest first, at most `limit`. */
  async thread(viewer: string | null, threadId: string, limit = 200): Promise<MessageView[]> {
    return (await readThread(this.d.store, viewer, threadId, limit)).map(messageView);
  }

  /** Whether the agent sent or received a message in the thread (what opens its conversation context). */
  inThread(agentId: string, threadId: string): Promise<boolean> {
    return this.d.store.isThreadParticipant(threadId, agentId);
  }

  /** Messages holding every word of the query, newest first, among those the viewer sent or received. */
  async search(viewer: string | null, query: string, limit = 20): Promise<MessageView[]> {
    return (await this.d.store.searchMessages(searchTerms(query), viewer, limit)).map(messageView);
  }

  async subscribe(
    agentId: string,
    topic: string,
  ): Promise<{ topic: string; subscribed: boolean; topics: string[] }> {
    checkTopic(topic);
    const at = this.nowIso();
    const added = await this.d.store.subscribeTopic(agentId, topic, at);
    if (added) this.d.bus.publish(channels.all, { type: 'topic.subscribed', at, agent_id: agentId, topic });
    return { topic, subscribed: true, topics: await this.d.store.agentTopics(agentId) };
  }

  async unsubscribe(
    agentId: string,
    topic: string,
  ): Promise<{ topic: string; subscribed: boolean; topics: string[] }> {
    checkTopic(topic);
    const removed = await this.d.store.unsubscribeTopic(agentId, topic);
    if (removed) {
      this.d.bus.publish(channels.all, {
        type: 'topic.unsubscribed',
        at: this.nowIso(),
        agent_id: agentId,
        topic,
      });
    }
    return { topic, subscribed: false, topics: await this.d.store.agentTopics(agentId) };
  }

  topics(agentId: string): Promise<string[]> {
    return this.d.store.agentTopics(agentId);
  }
}

function checkTopic(topic: string): void {
  if (!TOPIC_PATTERN.test(topic)) {
    throw new HubError(
      'invalid_input',
      'topic must be 1-128 characters of letters, digits, ".", "_", ":", "/" or "-", starting with a letter or digit',
    );
  }
}

function sendResult(
  m: Pick<MessageRecord, 'id' | 'to' | 'project' | 'threadId' | 'recipients' | 'createdAt' | 'expiresAt'>,
  duplicate: boolean,
): SendResult {
  const result: SendResult = {
    message_id: m.id,
    thread_id: m.threadId,
    recipients: m.recipients,
    created_at: m.createdAt,
    expires_at: m.expiresAt,
    duplicate,
  };
  if (m.recipients.length === 0) result.warning = emptySendWarning(m.to, m.project);
  return result;
}
