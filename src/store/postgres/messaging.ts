/**
 * The agent, message and topic part of the PostgreSQL store (`MessagingPart`), one object over the
 * tables of migration 001: agents.ts, messages.ts (inboxes), threads.ts (threads and search),
 * topics.ts.
 */
import type { AgentFilter, AgentRecord, InboxQuery, NewMessage } from '../types.js';
import { PgAgents } from './agents.js';
import type { PgDatabase } from './database.js';
import type { MessagingPart } from './index.js';
import { notYet } from './not-yet.js';

export class PgMessaging implements MessagingPart {
  readonly kind = 'postgres' as const;
  private readonly agents: PgAgents;
  private readonly rest: MessagingPart;

  constructor(db: PgDatabase) {
    this.agents = new PgAgents(db);
    this.rest = notYet<MessagingPart>('messages');
  }

  // agents
  createAgent(agent: AgentRecord) {
    return this.agents.create(agent);
  }
  updateAgent(id: string, patch: Partial<AgentRecord>) {
    return this.agents.update(id, patch);
  }
  getAgent(id: string) {
    return this.agents.get(id);
  }
  findAgentByTokenHash(hash: string) {
    return this.agents.findByTokenHash(hash);
  }
  listAgents(filter: AgentFilter) {
    return this.agents.list(filter);
  }
  touchAgents(seen: Array<{ id: string; lastSeenAt: string }>) {
    return this.agents.touchMany(seen);
  }
  retireIdleAgents(before: string, at: string) {
    return this.agents.retireIdle(before, at);
  }

  // messages
  insertMessage(message: NewMessage) {
    return this.rest.insertMessage(message);
  }
  findByIdempotencyKey(from: string, key: string) {
    return this.rest.findByIdempotencyKey(from, key);
  }
  getMessage(id: string) {
    return this.rest.getMessage(id);
  }
  getDeliveryStatus(messageId: string) {
    return this.rest.getDeliveryStatus(messageId);
  }
  listInbox(agentId: string, query: InboxQuery) {
    return this.rest.listInbox(agentId, query);
  }
  unreadCounts(agentIds: string[], now: string) {
    return this.rest.unreadCounts(agentIds, now);
  }
  latestCursor(agentId: string) {
    return this.rest.latestCursor(agentId);
  }
  markRead(agentId: string, cursors: number[], at: string) {
    return this.rest.markRead(agentId, cursors, at);
  }
  ackMessages(agentId: string, messageIds: string[], at: string) {
    return this.rest.ackMessages(agentId, messageIds, at);
  }
  listThread(threadId: string, viewer: string | null, limit: number) {
    return this.rest.listThread(threadId, viewer, limit);
  }
  isThreadParticipant(threadId: string, agentId: string) {
    return this.rest.isThreadParticipant(threadId, agentId);
  }
  threadExists(threadId: string) {
    return this.rest.threadExists(threadId);
  }
  searchMessages(terms: string[], viewer: string | null, limit: number) {
    return this.rest.searchMessages(terms, viewer, limit);
  }
  isParticipant(seq: number, agentId: string) {
    return this.rest.isParticipant(seq, agentId);
  }

  // topics
  subscribeTopic(agentId: string, topic: string, at: string) {
    return this.rest.subscribeTopic(agentId, topic, at);
  }
  unsubscribeTopic(agentId: string, topic: string) {
    return this.rest.unsubscribeTopic(agentId, topic);
  }
  topicSubscribers(topic: string) {
    return this.rest.topicSubscribers(topic);
  }
  agentTopics(agentId: string) {
    return this.rest.agentTopics(agentId);
  }
}
