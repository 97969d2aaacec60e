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
  deliveries: Array<{ agentId: string; ackedAt: string | null }>;
}

export interface LogAttempt {
  agentId: string;
  project: string;
  claimedAt: string;
  endedAt: string | null;
  outcome: string | null;
}

export interface AnalyticsStore {
  apply(delta: RollupDelta): Promise<void>;
  /** Empties the rollups a rebuild restores from the log (all but calls, which the log does not hold). */
  clear(): Promise<void>;
  /** Stored usage of these instances as last counted. */
  instanceUsage(ids: string[]): Promise<Map<string, { tokens: number; costUsd: number }>>;
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
}
