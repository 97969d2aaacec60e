/**
 * Which of an agent's messages are pushed into its session, and why the others are held back (they
 * stay unread in the inbox; the next event counts them). Sender gating comes first: a channel is a
 * prompt-injection path into the session, so by default only messages from agents of the recipient's
 * own project, or sent by the hub's admin, are pushed.
 */
import type { InboxMessageView } from '../wire/index.js';
import { type DeliverySettings, importanceRank } from './settings.js';

/** A message as a consumer sees it: the inbox view with the sender's project and whether the admin sent it. */
export type DeliverableMessage = Omit<InboxMessageView, 'project' | 'sent_by_admin'> & {
  /** The sender's project (absent on old hubs: then it counts as another project). */
  project?: string;
  /** Sent by the hub's admin on an agent's behalf (the dashboard's overseer). */
  sent_by_admin?: boolean;
};

export type HoldReason = 'sender' | 'importance' | 'type' | 'topic';

export type Verdict = { push: true } | { push: false; reason: HoldReason };

/** The topic a message was sent to (`topic:<name>`), if it was. */
export function topicOf(m: Pick<InboxMessageView, 'to'>): string | undefined {
  return typeof m.to === 'string' && m.to.startsWith('topic:') ? m.to.slice('topic:'.length) : undefined;
}

export function verdict(m: DeliverableMessage, recipientProject: string, s: DeliverySettings): Verdict {
  if (s.senders === 'project' && m.sent_by_admin !== true && m.project !== recipientProject)
    return { push: false, reason: 'sender' };
  if (importanceRank(m.importance) < importanceRank(s.min_importance))
    return { push: false, reason: 'importance' };
  if (s.types && !s.types.includes(m.type)) return { push: false, reason: 'type' };
  const topic = topicOf(m);
  if (topic !== undefined && s.topics && !s.topics.includes(topic)) return { push: false, reason: 'topic' };
  return { push: true };
}
