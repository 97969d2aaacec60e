/**
 * The digest of a thread, computed from its stored messages (as the viewer sees them, oldest first):
 * who took part and how much each sent, the turns (runs of consecutive messages by one sender, so
 * turns − 1 speaker changes), counts by type, first and last activity, and the requests nobody has
 * answered (a `request` with no `response` replying to it). Pure: no store, no clock of its own.
 */
import type { MessageRecord } from '../../store/types.js';

export interface DigestParticipant {
  agent_id: string;
  sent: number;
  received: number;
}

export interface UnansweredRequest {
  message_id: string;
  from: string;
  to: string[];
  subject: string | null;
  asked_at: string;
  waiting_seconds: number;
}

export interface MessageDigest {
  participants: DigestParticipant[];
  turns: number;
  speaker_changes: number;
  messages: { total: number; by_type: Record<string, number> };
  first_activity: string | null;
  last_activity: string | null;
  duration_seconds: number;
  unanswered_requests: UnansweredRequest[];
}

/** `nowMs`: the time "how long ago" is measured against. */
export function digestMessages(messages: readonly MessageRecord[], nowMs: number): MessageDigest {
  const people = new Map<string, DigestParticipant>();
  const person = (id: string) => {
    let p = people.get(id);
    if (!p) people.set(id, (p = { agent_id: id, sent: 0, received: 0 }));
    return p;
  };
  const byType: Record<string, number> = {};
  const answered = new Set<string>();
  let turns = 0;
  let lastSpeaker: string | undefined;
  for (const m of messages) {
    person(m.from).sent++;
    for (const r of m.recipients) if (r !== m.from) person(r).received++;
    byType[m.type] = (byType[m.type] ?? 0) + 1;
    if (m.from !== lastSpeaker) turns++;
    lastSpeaker = m.from;
    if (m.type === 'response' && m.replyTo) answered.add(m.replyTo);
  }
  const first = messages[0]?.createdAt ?? null;
  const last = messages.at(-1)?.createdAt ?? null;
  const seconds = (from: string, to: number) => Math.max(0, Math.round((to - Date.parse(from)) / 1000));
  return {
    participants: [...people.values()],
    turns,
    speaker_changes: Math.max(0, turns - 1),
    messages: { total: messages.length, by_type: byType },
    first_activity: first,
    last_activity: last,
    duration_seconds: first && last ? seconds(first, Date.parse(last)) : 0,
    unanswered_requests: messages
      .filter((m) => m.type === 'request' && !answered.has(m.id))
      .map((m) => ({
        message_id: m.id,
        from: m.from,
        to: m.recipients,
        subject: m.subject,
        asked_at: m.createdAt,
        waiting_seconds: seconds(m.createdAt, nowMs),
      })),
  };
}
