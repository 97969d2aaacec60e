/**
 * The agent, message and topic part of the PostgreSQL store (`MessagingPart`), one object over the
 * tables of migration 001: agents.ts, messages.ts (inboxes), threads.ts (threads and search),
 * topics.ts.
 */
import type { AgentFilter, AgentRecord, InboxQuery, NewMessage, StatusChange } from '../types.js';
import { PgAgents } from './agents.js';
import type { PgDatabase } from './database.js';
import type { MessagingPart } from './index.js';
import { PgMessages } from './messages.js';
import { PgThreads } from './threads.js';
import { PgTopics } from './topics.js';
import { ThreadRoots } from '../thread-roots.js';

export class PgMessaging implements MessagingPart {
  readonly kind = 'postgres' as const;
  private readonly agents: PgAgents;
  private readonly messages: PgMessages;
  private readonly threads: PgThreads;
  private readonly topics: PgTopics;

  constructor(db: PgDatabase) {
    this.agents = new PgAgents(db);
    // One memory of thread roots for the send path and the participation checks of this node.
    const roots = new ThreadRoots();
    this.messages = new PgMessages(db, roots);
    this.threads = new PgThreads(db, roots);
    this.topics = new PgTopics(db);
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
  recordAgentStatuses(changes: StatusChange[]) {
    return this.agents.recordStatuses(changes);
  }

  // messages
  insertMessage(message: NewMessage) {
    return this.messages.insert(message);
  }
  findByIdempotencyKey(from: string, key: string) {
    return this.messages.findByIdempotencyKey(from, key);
  }
  getMessage(id: string) {
    return this.messages.get(id);
  }
  getDeliveryStatus(messageId: string) {
    return this.messages.deliveryStatus(messageId);
  }
  listInbox(agentId: string, query: InboxQuery) {
    return this.messages.inbox(agentId, query);
  }
  unreadCounts(agentIds: string[], now: string) {
    return this.messages.unreadCounts(agentIds, now);
  }
  latestCursor(agentId: string) {
    return this.messages.latestCursor(agentId);
  }
  markRead(agentId: string, cursors: number[], at: string) {
    return this.messages.markRead(agentId, cursors, at);
  }
  ackMessages(agentId: string, messageIds: string[], at: string) {
    return this.messages.ack(agentId, messageIds, at);
  }
  listThread(threadId: string, viewer: string | null, limit: number) {
    return this.threads.list(threadId, viewer, limit);
  }
  isThreadParticipant(threadId: string, agentId: string) {
    return this.threads.isThreadParticipant(threadId, agentId);
  }
  threadExists(threadId: string) {
    return this.threads.threadExists(threadId);
  }
  searchMessages(terms: string[], viewer: string | null, limit: number) {
    return this.threads.search(terms, viewer, limit);
  }
  isParticipant(seq: number, agentId: string) {
    return this.threads.isParticipant(seq, agentId);
  }

  // topics
  subscribeTopic(agentId: string, topic: string, at: string) {
    return this.topics.subscribe(agentId, topic, at);
  }
  unsubscribeTopic(agentId: string, topic: string) {
    return this.topics.unsubscribe(agentId, topic);
  }
  topicSubscribers(topic: string) {
    return this.topics.subscribersOf(topic);
  }
  agentTopics(agentId: string) {
    return this.topics.topicsOf(agentId);
  }
}
