import type { AnalyticsStore } from './analytics.js';
import type { ContextStore } from './context.js';
import type { CoordinationStore } from './coordination.js';
import type { DigestStore } from './digests.js';
import type { DeliveryStore } from './delivery.js';
import type { GatewayStore } from './gateway.js';
import type { InstanceStore } from './instances.js';
import type { LeaseStore } from './leases.js';
import type { TaskStore } from './tasks.js';
import type { WorkflowStore } from './workflows.js';

/**
 * The persistence boundary. Domain services talk only to this interface. It is async although
 * better-sqlite3 is synchronous, so a PostgreSQL store can slot in for cluster mode.
 */

export type DeclaredStatus = 'active' | 'busy' | 'idle';

export interface AgentRecord {
  id: string;
  name: string;
  sessionId: string | null;
  project: string;
  role: string | null;
  description: string | null;
  capabilities: string[];
  metadata: Record<string, unknown>;
  tokenHash: string;
  declaredStatus: DeclaredStatus;
  createdAt: string;
  lastSeenAt: string;
  retiredAt: string | null;
}

export type Importance = 'low' | 'normal' | 'high' | 'urgent';

export interface MessageRecord {
  /** Store-assigned position in the global message log. */
  seq: number;
  id: string;
  from: string;
  /** The address as the sender wrote it (agent id, list, `ALL`, `capability:x`, `topic:x`). */
  to: string | string[];
  type: string;
  subject: string | null;
  body: unknown;
  threadId: string;
  replyTo: string | null;
  correlationId: string | null;
  importance: Importance;
  ackRequired: boolean;
  project: string;
  createdAt: string;
  expiresAt: string | null;
  idempotencyKey: string | null;
  recipients: string[];
  /** Sent by the hub's admin acting for the sender (the dashboard's overseer). */
  sentByAdmin?: boolean;
}

export type NewMessage = Omit<MessageRecord, 'seq'>;

export interface DeliveryRef {
  agentId: string;
  cursor: number;
}

export interface InboxEntry {
  cursor: number;
  readAt: string | null;
  ackedAt: string | null;
  message: MessageRecord;
}

export interface DeliveryStatus {
  agentId: string;
  cursor: number;
  readAt: string | null;
  ackedAt: string | null;
}

export interface InsertMessageResult {
  message: MessageRecord;
  deliveries: DeliveryRef[];
  /** True when an earlier send with the same idempotency key was found; nothing new was stored. */
  duplicate: boolean;
}

/** A status an agent is seen to have (`status`: an AgentStatus), and since when it holds. */
export interface StatusChange {
  id: string;
  status: string;
  since: string;
}

export interface RecordedStatus {
  id: string;
  status: string;
  previous: string | null;
}

export interface AgentFilter {
  capability?: string;
  project?: string;
  role?: string;
  includeRetired?: boolean;
  ids?: string[];
  /** At most this many, oldest first. */
  limit?: number;
  /** Leave metadata out (records carry `{}`): for listings and sweeps, which never show it. */
  withoutMetadata?: boolean;
}

export interface InboxQuery {
  /** Only deliveries after this cursor. */
  afterCursor?: number;
  /** Only deliveries of messages created at or after this time. */
  sinceTime?: string;
  unreadOnly?: boolean;
  limit: number;
  /** Messages that expired before this time are left out. */
  now: string;
}

export interface AckResult {
  messageId: string;
  from: string;
  ackRequired: boolean;
  ackedAt: string;
  /** False when it had been acknowledged before: nobody is told again. */
  newlyAcked: boolean;
}

/** Background work a store needs now and then (the hub's Timers run it). */
export interface PeriodicJob {
  name: string;
  everyMs: number;
  run(): unknown;
}

export interface Store {
  /** `sqlite` (one machine) or `postgres` (cluster mode). */
  readonly kind: 'sqlite' | 'postgres';
  close(): Promise<void>;
  /** The store's own periodic work (e.g. keeping a search index current). */
  periodicJobs(): PeriodicJob[];
  /**
   * Runs `fn` unless another node on this database is running the job of the same name right now
   * (then resolves `undefined` without running it). A SQLite file has one hub: it always runs.
   */
  runAlone<T>(job: string, fn: () => Promise<T>): Promise<T | undefined>;

  /** Each later capability keeps its persistence in its own part. */
  tasks: TaskStore;
  context: ContextStore;
  leases: LeaseStore;
  coordination: CoordinationStore;
  instances: InstanceStore;
  gateway: GatewayStore;
  workflows: WorkflowStore;
  analytics: AnalyticsStore;
  digests: DigestStore;
  delivery: DeliveryStore;

  // agents
  createAgent(agent: AgentRecord): Promise<void>;
  updateAgent(
    id: string,
    patch: Partial<Omit<AgentRecord, 'id' | 'createdAt'>>,
  ): Promise<AgentRecord | undefined>;
  getAgent(id: string): Promise<AgentRecord | undefined>;
  findAgentByTokenHash(tokenHash: string): Promise<AgentRecord | undefined>;
  listAgents(filter: AgentFilter): Promise<AgentRecord[]>;
  touchAgents(seen: Array<{ id: string; lastSeenAt: string }>): Promise<void>;
  /** Retires agents last seen before `before`; returns their ids. */
  retireIdleAgents(before: string, at: string): Promise<string[]>;
  /**
   * Records agents' statuses as published (each agent's last published status and since when it
   * holds) and returns the ones this call changed, with the status stored before (null: none yet),
   * for the caller to publish: of several nodes noting one change at once, exactly one gets it back.
   * A status replaces the stored one only if it began no earlier (a node that knows less, e.g. not the
   * agent's latest activity on another node, cannot take back what a better-informed node published).
   */
  recordAgentStatuses(changes: StatusChange[]): Promise<RecordedStatus[]>;

  // messages
  insertMessage(message: NewMessage): Promise<InsertMessageResult>;
  findByIdempotencyKey(from: string, key: string): Promise<InsertMessageResult | undefined>;
  getMessage(id: string): Promise<MessageRecord | undefined>;
  getDeliveryStatus(messageId: string): Promise<DeliveryStatus[]>;
  listInbox(agentId: string, query: InboxQuery): Promise<InboxEntry[]>;
  /** Unread, unexpired messages in each agent's inbox: the backlog (every id given gets an entry). */
  unreadCounts(agentIds: string[], now: string): Promise<Map<string, number>>;
  /** The newest cursor in an agent's inbox (0 when empty). */
  latestCursor(agentId: string): Promise<number>;
  markRead(agentId: string, cursors: number[], at: string): Promise<number>;
  ackMessages(agentId: string, messageIds: string[], at: string): Promise<AckResult[]>;
  /** A thread's messages, oldest first; `viewer` limits to those it sent or received (before the limit). */
  listThread(threadId: string, viewer: string | null, limit: number): Promise<MessageRecord[]>;
  /** Whether the agent sent or received a message in the thread. */
  isThreadParticipant(threadId: string, agentId: string): Promise<boolean>;
  /** Whether any message is in the thread. */
  threadExists(threadId: string): Promise<boolean>;
  /**
   * Messages whose subject or body holds every term (plain words, never query syntax), newest first;
   * `viewer` limits the search itself to messages it sent or received.
   */
  searchMessages(terms: string[], viewer: string | null, limit: number): Promise<MessageRecord[]>;
  /** Which of these agents sent or received the message. */
  isParticipant(messageSeq: number, agentId: string): Promise<boolean>;

  // topics
  subscribeTopic(agentId: string, topic: string, at: string): Promise<boolean>;
  unsubscribeTopic(agentId: string, topic: string): Promise<boolean>;
  topicSubscribers(topic: string): Promise<string[]>;
  agentTopics(agentId: string): Promise<string[]>;
}
