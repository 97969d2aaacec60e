/** One readable line per hub event, for `tail` and `inbox`. */
import type { HubEvent, InboxMessageView, MessageView } from '../../client/types.js';
import { clock, oneLine } from './output.js';

const recipients = (to: string | string[]): string => (Array.isArray(to) ? to.join(',') : to);

export function formatMessage(m: MessageView | InboxMessageView): string {
  const type = m.type === 'message' ? '' : ` [${m.type}]`;
  const subject = m.subject ? ` ${m.subject}:` : '';
  const flags = [m.importance !== 'normal' ? m.importance : '', m.ack_required ? 'ack required' : '']
    .filter(Boolean)
    .join(', ');
  return `${m.from} → ${recipients(m.to)}${type}${subject} ${oneLine(m.body)}${flags ? ` (${flags})` : ''}  ${m.message_id}`;
}

/** A line for any event a WebSocket or SSE stream delivers; unknown types are shown as JSON. */
export function formatEvent(event: HubEvent | { type: string; [key: string]: unknown }): string {
  const e = event as HubEvent;
  const at = clock((event as { at?: string }).at);
  switch (e.type) {
    case 'message':
      return `${clock(e.message.created_at)}  #${e.cursor}  ${formatMessage(e.message)}`;
    case 'message.sent':
      return `${at}  sent  ${formatMessage(e.message)} (${e.recipients.length} recipient${e.recipients.length === 1 ? '' : 's'})`;
    case 'ack':
      return `${at}  ack  ${e.by} acknowledged ${e.message_id} from ${e.to}`;
    case 'agent.registered':
      return `${at}  agent registered  ${e.agent.agent_id} (${e.agent.name})${e.agent.capabilities.length ? ` capabilities ${e.agent.capabilities.join(',')}` : ''}`;
    case 'agent.updated':
      return `${at}  agent updated  ${e.agent.agent_id} (${e.agent.name})`;
    case 'agent.status':
      return `${at}  agent status  ${e.agent_id} ${e.previous} → ${e.status}`;
    case 'agent.retired':
      return `${at}  agent retired  ${e.agent_id}${e.reason ? ` (${e.reason})` : ''}`;
    case 'topic.subscribed':
      return `${at}  topic  ${e.agent_id} subscribed to ${e.topic}`;
    case 'topic.unsubscribed':
      return `${at}  topic  ${e.agent_id} unsubscribed from ${e.topic}`;
    default: {
      const { type, ...rest } = event as { type: string };
      return `${at}  ${type}  ${oneLine(rest, 200)}`;
    }
  }
}
