/**
 * Threads. A thread's id is the id of its first message; a new message joins a thread by `reply_to`
 * (a message the sender sent or received) or by `thread_id` (a thread the sender already takes part
 * in, i.e. sent or received a message in). Knowing an id grants nothing: a thread or message the
 * sender does not take part in answers `not_found`, exactly like one that does not exist, so the
 * answer does not even confirm it exists. The admin, acting for an agent, may name any thread.
 */
import { HubError, notFound } from '../../core/errors.js';
import type { AgentRecord, MessageRecord, Store } from '../../store/types.js';

export interface ThreadChoice {
  thread_id?: string;
  reply_to?: string;
}

const sees = (m: MessageRecord, agentId: string) => m.from === agentId || m.recipients.includes(agentId);

/**
 * The thread a new message goes into, or `not_found` before anything is stored. `trusted`: the
 * admin is sending for the agent.
 */
export async function threadForSend(
  store: Store,
  sender: AgentRecord,
  choice: ThreadChoice,
  newMessageId: string,
  trusted: boolean,
): Promise<string> {
  let parentThread: string | undefined;
  if (choice.reply_to) {
    const parent = await store.getMessage(choice.reply_to);
    if (!parent || (!trusted && !sees(parent, sender.id))) {
      throw new HubError(
        'not_found',
        `reply_to: no message ${choice.reply_to} that you sent or received; reply to a message from your inbox (or one you sent)`,
      );
    }
    parentThread = parent.threadId;
  }
  if (choice.thread_id) {
    const known = trusted
      ? await store.threadExists(choice.thread_id)
      : await store.isThreadParticipant(choice.thread_id, sender.id);
    if (!known) {
      throw new HubError(
        'not_found',
        `thread_id: no thread ${choice.thread_id} that you take part in (sent or received a message in); ` +
          'leave thread_id out to start a thread, or answer a message you received with reply_to',
      );
    }
    return choice.thread_id;
  }
  return parentThread ?? newMessageId;
}

/**
 * `thread_id` of something that comes out of a thread (a task, a vote): a thread the agent takes
 * part in (the admin, `trusted`, any thread that exists), or `not_found` as for sending into it.
 */
export async function requireThreadOf(
  store: Store,
  agent: AgentRecord,
  threadId: string,
  trusted: boolean,
): Promise<string> {
  const known = trusted
    ? await store.threadExists(threadId)
    : await store.isThreadParticipant(threadId, agent.id);
  if (!known) {
    throw new HubError(
      'not_found',
      `thread_id: no thread ${threadId} that you take part in (sent or received a message in); ` +
        'name a thread from your inbox, or leave thread_id out',
    );
  }
  return threadId;
}

/** A thread's messages the viewer sent or received, oldest first (the admin, viewer null, sees all). */
export async function readThread(
  store: Store,
  viewer: string | null,
  threadId: string,
  limit: number,
): Promise<MessageRecord[]> {
  if (viewer && !(await store.isThreadParticipant(threadId, viewer))) throw notFound(`Thread ${threadId}`);
  const messages = await store.listThread(threadId, viewer, limit);
  if (messages.length === 0) throw notFound(`Thread ${threadId}`);
  return messages;
}
