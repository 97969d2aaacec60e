/**
 * Persistence for analytics: rollups per minute, kept up to date from events (domain/analytics/recorder.ts)
 * and rebuilt from the log. Rows of a delta are added to what is stored (upsert and sum).
 */

export interface PairRollup {
  minute: number;
  project: string;
  from: string;
  to: string;
  messages: number;
  requests: number;
  responses: number;
  acks: number;
  latencyMsSum: number;
  latencyCount: number;
}

/** One delivery as the performance fold needs it: when it was sent and read. */
export interface DeliveryRead {
  cursor: number;
  messageId: string;
  agentId: string;
  readAt: string | null;
  createdAt: string;
  from: string;
}

export interface AgentRollup {
  minute: number;
  agentId: string;
  project: string;
  sent: number;
  received: number;
  tasksClaimed: number;
  tasksCompleted: number;
  tasksFailed: number;
  tokens: number;
  costUsd: number;
}

/** Per thread, agent and message type: messages it sent and received there. */
export interface ThreadRollup {
  minute: number;
  threadId: string;
  agentId: string;
  project: string;
  type: string;
  sent: number;
  received: number;
}

/** `operation`: a hub operation; `tool`: a downstream tool through the gateway. `bin`: latency histogram bin. */
export interface CallRollup {
  minute: number;
  kind: 'operation' | 'tool';
  name: string;
  project: string;
  bin: number;
  calls: number;
  errors: number;
  latencyMsSum: number;
}

export interface RollupDelta {
  pairs: PairRollup[];
  agents: AgentRollup[];
  threads: ThreadRollup[];
  /**
   * Threads started by a message of this delta (its first message): no rollup row of theirs can be
   * stored yet, so a store need not look for one. Optional: a delta without it is looked up.
   */
  threadsStarted?: string[];
  calls: CallRollup[];
  /** Instance usage as last counted (replaces what is stored), so only growth is counted again. */
  instanceUsage: Array<{ instanceId: string; tokens: number; costUsd: number }>;
}

export interface RollupQuery {
  project?: string;
  /** Only these agents (from agent_id / role / capability filters). */
  agentIds?: string[];
  sinceMinute?: number;
  /** Exclusive. */
  untilMinute?: number;
}

/** The log as a rebuild reads it. */
export interface LogMessage {
  seq: number;
  id: string;
  from: string;
  type: string;
  threadId: string;
  replyTo: string | null;
  project: string;
  createdAt: string;
  ackRequired: boolean;
  deliveries: Array<{ agentId: string; readAt: string | null; ackedAt: string | null }>;
}

export interface LogAttempt {
  /** 1 for a task's first claim. */
  attempt: number;
  taskCreatedAt: string;
  agentId: string;
  project: string;
  claimedAt: string;
  endedAt: string | null;
  outcome: string | null;
}

/** Per minute (when it ended), metric, agent and histogram bin: how many took how long. */
export interface LatencyRollup {
  minute: number;
  project: string;
  metric: string;
  agentId: string;
  bin: number;
  count: number;
  sumMs: number;
}

/**
 * Per minute of the original message and pair (sender → recipient): requests, requests the recipient
 * answered, ack_required deliveries and those it acknowledged.
 */
export interface ReplyRollup {
  minute: number;
  project: string;
  from: string;
  to: string;
  requests: number;
  answered: number;
  ackRequired: number;
  acked: number;
}

/** A thread nobody but its starter has spoken in yet: who started it, and when. */
export interface ThreadStart {
  threadId: string;
  starter: string;
  startedMs: number;
}

/**
 * A thread's first response, counted only by the delta that claims it: the one whose write removes
 * the thread's stored start. Several nodes can fold a response in the same thread from the same
 * memory (each read the start before either wrote); only one of them removes it, so it counts once.
 */
export interface FirstResponseClaim {
  threadId: string;
  /** The `first_response` sample (count 1). */
  latency: LatencyRollup;
}

/**
 * A request's first answer by one recipient, counted only by the delta that stores the (request,
 * recipient) pair first: two nodes folding answers to one request from the same memory count it once.
 */
export interface AnswerClaim {
  requestId: string;
  agentId: string;
  /** The `response` sample (count 1). */
  latency: LatencyRollup;
  /** The reply row of the request's pair with `answered` 1. */
  reply: ReplyRollup;
}

export interface PerfDelta {
  /** Samples and reply rows that count whatever else is stored. */
  latency: LatencyRollup[];
  replies: ReplyRollup[];
  /** Threads started (stored until someone else speaks in them). */
  threadStarts: ThreadStart[];
  /** Threads stored as started that someone else spoke in: each counts if this delta claims it. */
  threadsAnswered: FirstResponseClaim[];
  /** (request, recipient) pairs answered (first time as far as the fold knew): each counts if claimed. */
  answered: AnswerClaim[];
}

/** What the performance fold remembers from earlier batches, for the threads and answers of a batch. */
export interface PerfMemory {
  /** Threads of the batch still waiting for a first response. */
  threads: Map<string, ThreadStart>;
  /** `requestId + '\u0000' + agentId` of requests that recipient answered already. */
  answered: Set<string>;
}

/** The log scans a rebuild reads (`AnalyticsStore.readLog`). */
export type LogScans = Pick<
  AnalyticsStore,
  'scanMessages' | 'scanAttempts' | 'scanInstances' | 'scanTurnEvents'
>;

export interface AnalyticsStore {
  apply(delta: RollupDelta): Promise<void>;
  /** Empties the rollups a rebuild restores from the log (all but calls, which the log does not hold). */
  clear(): Promise<void>;
  /** Stored usage of these instances as last counted. */
  instanceUsage(ids: string[]): Promise<Map<string, { tokens: number; costUsd: number }>>;
  /**
   * Runs `fn` with log scans that all read the log as it was committed when the first one ran, so a
   * rebuild paging through it by sequence number neither skips a row nor sees part of a later state.
   */
  readLog<T>(fn: (log: LogScans) => Promise<T>): Promise<T>;
  /** Messages after `afterSeq`, oldest first, with their deliveries. */
  scanMessages(afterSeq: number, limit: number): Promise<LogMessage[]>;
  scanAttempts(): Promise<LogAttempt[]>;
  scanInstances(): Promise<
    Array<{ id: string; agentId: string; at: string; tokens: number; costUsd: number }>
  >;

  agentTotals(q: RollupQuery): Promise<Array<Omit<AgentRollup, 'minute'>>>;
  /** Per bucket (its first minute) and type: messages, and distinct threads and participants per bucket. */
  historySeries(
    q: RollupQuery,
    bucketMinutes: number,
  ): Promise<{
    byType: Array<{ bucket: number; type: string; messages: number }>;
    buckets: Array<{ bucket: number; threads: number; participants: number }>;
    totals: { threads: number; participants: number };
  }>;
  topThreads(
    q: RollupQuery,
    limit: number,
  ): Promise<
    Array<{
      threadId: string;
      messages: number;
      participants: number;
      firstMinute: number;
      lastMinute: number;
    }>
  >;
  /** Per kind, name and bin. */
  callTotals(q: RollupQuery): Promise<Array<Omit<CallRollup, 'minute' | 'project'>>>;
  pairTotals(q: RollupQuery): Promise<Array<Omit<PairRollup, 'minute'>>>;

  // performance and engagement (migration 013)
  applyPerf(delta: PerfDelta): Promise<void>;
  perfMemory(
    threadIds: string[],
    answered: Array<{ requestId: string; agentId: string }>,
  ): Promise<PerfMemory>;
  /** Deliveries by inbox cursor (of that agent), or by message and recipient, with when they were read and sent. */
  deliveryReads(
    cursors: Array<{ agentId: string; cursor: number }>,
    byMessage: Array<{ messageId: string; agentId: string }>,
  ): Promise<DeliveryRead[]>;
  /** Instance output events of these kinds (the domain's turn events), oldest first. */
  scanTurnEvents(
    afterSeq: number,
    limit: number,
    kinds: readonly string[],
  ): Promise<Array<{ seq: number; instanceId: string; agentId: string; kind: string; at: string }>>;
  /** Per metric and bin (`agentIds`: the agent the sample belongs to). */
  latencyTotals(
    q: RollupQuery,
  ): Promise<Array<{ metric: string; bin: number; count: number; sumMs: number }>>;
  latencySeries(
    q: RollupQuery,
    bucketMinutes: number,
  ): Promise<Array<{ bucket: number; metric: string; bin: number; count: number; sumMs: number }>>;
  /** Per bucket and metric: count, sum and histogram (bin → count). */
  latencySeriesHistograms(
    q: RollupQuery,
    bucketMinutes: number,
  ): Promise<
    Array<{ bucket: number; metric: string; count: number; sumMs: number; bins: Map<number, number> }>
  >;
  /** Per agent and metric: count, sum and histogram (bin → count). */
  latencyByAgentHistograms(
    q: RollupQuery,
  ): Promise<
    Array<{ agentId: string; metric: string; count: number; sumMs: number; bins: Map<number, number> }>
  >;
  /** Per agent, metric and bin. */
  latencyByAgent(
    q: RollupQuery,
  ): Promise<Array<{ agentId: string; metric: string; bin: number; count: number; sumMs: number }>>;
  /** Per agent and metric: how many samples (e.g. acks made). */
  latencyCounts(q: RollupQuery): Promise<Array<{ agentId: string; metric: string; count: number }>>;
  /** Per recipient (`agentIds` match it): requests, answered, ack_required, acked. */
  replyTotals(
    q: RollupQuery,
  ): Promise<
    Array<{ agentId: string; requests: number; answered: number; ackRequired: number; acked: number }>
  >;
  /** Distinct agents that sent per bucket, and over the whole range. */
  activeSenders(
    q: RollupQuery,
    bucketMinutes: number,
  ): Promise<{ buckets: Array<{ bucket: number; agents: number }>; total: number }>;
}
