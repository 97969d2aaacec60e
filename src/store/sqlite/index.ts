/** The default Store: one SQLite file (WAL), reads served at once, writes group-committed. */
import type { Database } from 'better-sqlite3';
import type {
  AgentFilter,
  AgentRecord,
  InboxQuery,
  NewMessage,
  PeriodicJob,
  StatusChange,
  Store,
} from '../types.js';
import { AgentTable } from './agents.js';
import { WriteBatcher } from './batcher.js';
import { type CheckpointerOptions, WalCheckpointer } from './checkpointer.js';
import { FtsIndexer } from './fts.js';
import { MessageTable } from './messages.js';
import { type Durability, openDatabase } from './open.js';
import { SqliteAnalyticsStore } from './analytics.js';
import { SqliteContextStore } from './context.js';
import { SqliteCoordinationStore } from './coordination.js';
import { SqliteDeliveryStore } from './delivery.js';
import { SqliteDigestStore } from './digests.js';
import { SqliteGatewayStore } from './gateway.js';
import { SqliteInstanceStore } from './instances.js';
import { SqliteLeaseStore } from './leases.js';
import { SqliteTaskStore } from './tasks.js';
import { TopicTable } from './topics.js';
import { SqliteWorkflowStore } from './workflows.js';

export interface SqliteStoreOptions {
  durability?: Durability;
  /** How often committed messages are added to the search index in the background. */
  ftsIntervalMs?: number;
  /**
   * WAL checkpoints in a worker thread, off the event loop (see checkpointer.ts); default on for a
   * file. `false`: SQLite's auto-checkpoint inside the commit that crosses 1,000 frames.
   */
  checkpointer?: CheckpointerOptions | false;
  /**
   * No other connection writes the file while this store is open (a hub holds its file's lock), so
   * what a read found may be remembered until this store's own next write of it (context watchers).
   */
  exclusive?: boolean;
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly db: Database;
  readonly batcher: WriteBatcher;
  private readonly agents: AgentTable;
  private readonly messages: MessageTable;
  private readonly topics: TopicTable;
  readonly tasks: SqliteTaskStore;
  readonly context: SqliteContextStore;
  readonly leases: SqliteLeaseStore;
  readonly coordination: SqliteCoordinationStore;
  readonly instances: SqliteInstanceStore;
  readonly gateway: SqliteGatewayStore;
  readonly workflows: SqliteWorkflowStore;
  readonly analytics: SqliteAnalyticsStore;
  readonly digests: SqliteDigestStore;
  readonly delivery: SqliteDeliveryStore;
  private readonly fts: FtsIndexer;
  private readonly ftsIntervalMs: number;
  readonly checkpointer: WalCheckpointer | null;

  constructor(path: string, opts: SqliteStoreOptions = {}) {
    this.db = openDatabase(path, opts.durability);
    this.batcher = new WriteBatcher(this.db);
    this.agents = new AgentTable(this.db);
    this.messages = new MessageTable(this.db);
    this.topics = new TopicTable(this.db);
    this.tasks = new SqliteTaskStore(this.db, this.batcher);
    this.context = new SqliteContextStore(this.db, this.batcher, opts.exclusive ?? false);
    this.leases = new SqliteLeaseStore(this.db, this.batcher);
    this.coordination = new SqliteCoordinationStore(this.db, this.batcher);
    this.instances = new SqliteInstanceStore(this.db, this.batcher);
    this.gateway = new SqliteGatewayStore(this.db, this.batcher);
    this.workflows = new SqliteWorkflowStore(this.db, this.batcher);
    this.analytics = new SqliteAnalyticsStore(this.db, this.batcher);
    this.digests = new SqliteDigestStore(this.db, this.batcher);
    this.delivery = new SqliteDeliveryStore(this.db, this.batcher);
    this.fts = new FtsIndexer(this.db);
    this.ftsIntervalMs = opts.ftsIntervalMs ?? 1000;
    this.checkpointer =
      path === ':memory:' || opts.checkpointer === false
        ? null
        : new WalCheckpointer(this.db, path, opts.checkpointer);
  }

  /** Committed messages join the search index in the background (a search also catches up first). */
  periodicJobs(): PeriodicJob[] {
    return [{ name: 'search index', everyMs: this.ftsIntervalMs, run: () => this.fts.catchUpInSlices() }];
  }

  /** One hub per SQLite file (the hub lock sees to it): nobody else can be running the job. */
  runAlone<T>(_job: string, fn: () => Promise<T>): Promise<T | undefined> {
    return fn();
  }

  async close(): Promise<void> {
    this.batcher.close();
    this.db.close();
    // The worker's connection closes last: SQLite then copies what is left and removes the WAL.
    await this.checkpointer?.stop();
  }

  // agents
  createAgent(agent: AgentRecord) {
    return this.batcher.run(() => this.agents.create(agent));
  }
  updateAgent(id: string, patch: Partial<AgentRecord>) {
    return this.batcher.run(() => this.agents.update(id, patch));
  }
  async getAgent(id: string) {
    return this.agents.get(id);
  }
  async findAgentByTokenHash(hash: string) {
    return this.agents.findByTokenHash(hash);
  }
  async listAgents(filter: AgentFilter) {
    return this.agents.list(filter);
  }
  touchAgents(seen: Array<{ id: string; lastSeenAt: string }>) {
    return this.batcher.run(() => this.agents.touchMany(seen));
  }
  retireIdleAgents(before: string, at: string) {
    return this.batcher.run(() => this.agents.retireIdle(before, at));
  }
  recordAgentStatuses(changes: StatusChange[]) {
    return this.batcher.run(() => this.agents.recordStatuses(changes));
  }

  // messages
  insertMessage(message: NewMessage) {
    return this.batcher.run(() => this.messages.insert(message));
  }
  async findByIdempotencyKey(from: string, key: string) {
    return this.messages.findByIdempotencyKey(from, key);
  }
  async getMessage(id: string) {
    return this.messages.get(id);
  }
  async getDeliveryStatus(messageId: string) {
    return this.messages.deliveryStatus(messageId);
  }
  async listInbox(agentId: string, query: InboxQuery) {
    return this.messages.inbox(agentId, query);
  }
  async unreadCounts(agentIds: string[], now: string) {
    return this.messages.unreadCounts(agentIds, now);
  }
  async latestCursor(agentId: string) {
    return this.messages.latestCursor(agentId);
  }
  markRead(agentId: string, cursors: number[], at: string) {
    return this.batcher.run(() => this.messages.markRead(agentId, cursors, at));
  }
  ackMessages(agentId: string, messageIds: string[], at: string) {
    return this.batcher.run(() => this.messages.ack(agentId, messageIds, at));
  }
  async listThread(threadId: string, viewer: string | null, limit: number) {
    return this.messages.listThread(threadId, viewer, limit);
  }
  async isThreadParticipant(threadId: string, agentId: string) {
    return this.messages.isThreadParticipant(threadId, agentId);
  }
  async threadExists(threadId: string) {
    return this.messages.threadExists(threadId);
  }
  async searchMessages(terms: string[], viewer: string | null, limit: number) {
    if (terms.length === 0) return [];
    this.fts.catchUp();
    return this.messages.search(terms, viewer, limit);
  }
  async isParticipant(seq: number, agentId: string) {
    return this.messages.isParticipant(seq, agentId);
  }

  // topics
  subscribeTopic(agentId: string, topic: string, at: string) {
    return this.batcher.run(() => this.topics.subscribe(agentId, topic, at));
  }
  unsubscribeTopic(agentId: string, topic: string) {
    return this.batcher.run(() => this.topics.unsubscribe(agentId, topic));
  }
  async topicSubscribers(topic: string) {
    return this.topics.subscribersOf(topic);
  }
  async agentTopics(agentId: string) {
    return this.topics.topicsOf(agentId);
  }
}
