/**
 * The cluster Store: PostgreSQL through one node-postgres pool per node. Several hub nodes share one
 * database; every rule that must hold across them (per-recipient cursor order, claims, compare-and-set,
 * exclusive leases, one vote per agent) is enforced by the database, never by a node's memory.
 */
import type {
  AgentFilter,
  AgentRecord,
  InboxQuery,
  NewMessage,
  PeriodicJob,
  StatusChange,
  Store,
} from '../types.js';
import type { AnalyticsStore } from '../analytics.js';
import type { ContextStore } from '../context.js';
import type { CoordinationStore } from '../coordination.js';
import type { DeliveryStore } from '../delivery.js';
import type { DigestStore } from '../digests.js';
import type { GatewayStore } from '../gateway.js';
import type { InstanceStore } from '../instances.js';
import type { LeaseStore } from '../leases.js';
import type { TaskStore } from '../tasks.js';
import type { WorkflowStore } from '../workflows.js';
import { PgAnalyticsStore } from './analytics.js';
import { PgContextStore } from './context.js';
import { PgCoordinationStore } from './coordination.js';
import { PgDatabase, type PgDatabaseOptions } from './database.js';
import { runAlone } from './exclusive.js';
import { PgLeaseStore } from './leases.js';
import { PgDigestStore } from './digests.js';
import { PgGatewayStore } from './gateway.js';
import { PgInstanceStore } from './instances.js';
import { PgDeliveryStore } from './delivery.js';
import { migrate } from './migrations.js';
import { PgMessaging } from './messaging.js';
import { PgTaskStore } from './tasks.js';
import { PgWorkflowStore } from './workflows.js';

/** The agent, message and topic part of the Store (the rest lives in the named parts). */
export type MessagingPart = Omit<
  Store,
  | 'kind'
  | 'close'
  | 'periodicJobs'
  | 'runAlone'
  | 'tasks'
  | 'context'
  | 'leases'
  | 'coordination'
  | 'instances'
  | 'gateway'
  | 'workflows'
  | 'analytics'
  | 'digests'
  | 'delivery'
>;

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  private readonly messaging: MessagingPart;
  readonly tasks: TaskStore;
  readonly context: ContextStore;
  readonly leases: LeaseStore;
  readonly coordination: CoordinationStore;
  readonly instances: InstanceStore;
  readonly gateway: GatewayStore;
  readonly workflows: WorkflowStore;
  readonly analytics: AnalyticsStore;
  readonly digests: DigestStore;
  readonly delivery: DeliveryStore;

  private constructor(readonly db: PgDatabase) {
    this.messaging = new PgMessaging(db);
    this.tasks = new PgTaskStore(db);
    this.context = new PgContextStore(db);
    this.leases = new PgLeaseStore(db);
    this.coordination = new PgCoordinationStore(db);
    this.instances = new PgInstanceStore(db);
    this.gateway = new PgGatewayStore(db);
    this.workflows = new PgWorkflowStore(db);
    this.analytics = new PgAnalyticsStore(db);
    this.digests = new PgDigestStore(db);
    this.delivery = new PgDeliveryStore(db);
  }

  /** Connects, brings the schema up to date (safely while other nodes do the same) and returns the store. */
  static async open(url: string, opts: PgDatabaseOptions = {}): Promise<PostgresStore> {
    const db = new PgDatabase(url, opts);
    try {
      await migrate(db);
    } catch (err) {
      await db.close();
      throw err;
    }
    return new PostgresStore(db);
  }

  periodicJobs(): PeriodicJob[] {
    return [];
  }

  runAlone<T>(job: string, fn: () => Promise<T>): Promise<T | undefined> {
    return runAlone(this.db, job, fn);
  }

  private closing?: Promise<void>;

  /** Closing twice is harmless (a hub closed again, as SQLite's close allows); the pool ends once. */
  close(): Promise<void> {
    return (this.closing ??= this.db.close());
  }

  // agents
  createAgent(agent: AgentRecord) {
    return this.messaging.createAgent(agent);
  }
  updateAgent(id: string, patch: Partial<AgentRecord>) {
    return this.messaging.updateAgent(id, patch);
  }
  getAgent(id: string) {
    return this.messaging.getAgent(id);
  }
  findAgentByTokenHash(hash: string) {
    return this.messaging.findAgentByTokenHash(hash);
  }
  listAgents(filter: AgentFilter) {
    return this.messaging.listAgents(filter);
  }
  touchAgents(seen: Array<{ id: string; lastSeenAt: string }>) {
    return this.messaging.touchAgents(seen);
  }
  retireIdleAgents(before: string, at: string) {
    return this.messaging.retireIdleAgents(before, at);
  }
  recordAgentStatuses(changes: StatusChange[]) {
    return this.messaging.recordAgentStatuses(changes);
  }

  // messages
  insertMessage(message: NewMessage) {
    return this.messaging.insertMessage(message);
  }
  findByIdempotencyKey(from: string, key: string) {
    return this.messaging.findByIdempotencyKey(from, key);
  }
  getMessage(id: string) {
    return this.messaging.getMessage(id);
  }
  getDeliveryStatus(messageId: string) {
    return this.messaging.getDeliveryStatus(messageId);
  }
  listInbox(agentId: string, query: InboxQuery) {
    return this.messaging.listInbox(agentId, query);
  }
  unreadCounts(agentIds: string[], now: string) {
    return this.messaging.unreadCounts(agentIds, now);
  }
  latestCursor(agentId: string) {
    return this.messaging.latestCursor(agentId);
  }
  markRead(agentId: string, cursors: number[], at: string) {
    return this.messaging.markRead(agentId, cursors, at);
  }
  ackMessages(agentId: string, messageIds: string[], at: string) {
    return this.messaging.ackMessages(agentId, messageIds, at);
  }
  listThread(threadId: string, viewer: string | null, limit: number) {
    return this.messaging.listThread(threadId, viewer, limit);
  }
  isThreadParticipant(threadId: string, agentId: string) {
    return this.messaging.isThreadParticipant(threadId, agentId);
  }
  threadExists(threadId: string) {
    return this.messaging.threadExists(threadId);
  }
  searchMessages(terms: string[], viewer: string | null, limit: number) {
    return this.messaging.searchMessages(terms, viewer, limit);
  }
  isParticipant(seq: number, agentId: string) {
    return this.messaging.isParticipant(seq, agentId);
  }

  // topics
  subscribeTopic(agentId: string, topic: string, at: string) {
    return this.messaging.subscribeTopic(agentId, topic, at);
  }
  unsubscribeTopic(agentId: string, topic: string) {
    return this.messaging.unsubscribeTopic(agentId, topic);
  }
  topicSubscribers(topic: string) {
    return this.messaging.topicSubscribers(topic);
  }
  agentTopics(agentId: string) {
    return this.messaging.agentTopics(agentId);
  }
}
