/** A sent message as both analytics recorders queue it (from the hub's `message.sent` event). */
import type { HubEvent } from '../../bus/events.js';

export interface SentFact {
  k: 'sent';
  at: string;
  id: string;
  from: string;
  type: string;
  threadId: string;
  replyTo: string | null;
  ackRequired: boolean;
  to: string[];
}

export const sentFact = (e: Extract<HubEvent, { type: 'message.sent' }>): SentFact => ({
  k: 'sent',
  at: e.message.created_at,
  id: e.message.message_id,
  from: e.message.from,
  type: e.message.type,
  threadId: e.message.thread_id,
  replyTo: e.message.reply_to,
  ackRequired: e.message.ack_required,
  to: e.recipients,
});
