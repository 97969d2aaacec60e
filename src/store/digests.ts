/**
 * Persistence for thread digests: the DigestStore part of the Store interface. A thread's messages
 * are read from the message log (newest first, so a long thread is digested from its end); the prose
 * summaries instances write are kept one per thread and view.
 */
import type { MessageRecord } from './types.js';

/** A prose summary of a thread, as the agent (or the admin, scope `*`) whose view it covers sees it. */
export interface ThreadSummaryRecord {
  threadId: string;
  /** The agent id whose view of the thread it summarizes, or `*` for the whole thread (the admin). */
  scope: string;
  summary: string;
  /** The instance that wrote it, and that instance's agent. */
  instanceId: string;
  writtenBy: string;
  /** The agent that asked for it (null: the admin). */
  requestedBy: string | null;
  /** How many messages it was written from, and the newest of them. */
  messagesCovered: number;
  lastMessageId: string;
  createdAt: string;
}

export interface DigestStore {
  /**
   * The newest `limit` messages of a thread (oldest first), and how many there are in all; `viewer`
   * limits both to the messages it sent or received.
   */
  threadTail(
    threadId: string,
    viewer: string | null,
    limit: number,
  ): Promise<{ messages: MessageRecord[]; total: number }>;
  getSummary(threadId: string, scope: string): Promise<ThreadSummaryRecord | undefined>;
  /** Stores the summary, replacing an earlier one of the same thread and scope. */
  putSummary(summary: ThreadSummaryRecord): Promise<void>;
}
