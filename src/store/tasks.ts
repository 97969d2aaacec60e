/** Persistence for tasks: the TaskStore part of the Store interface. */

export type TaskStatus =
  'open' | 'claimed' | 'in_progress' | 'input_required' | 'completed' | 'failed' | 'cancelled';

export type ChildFailurePolicy = 'fail_parent' | 'ignore';

export interface TaskArtifact {
  name: string;
  uri?: string;
  mime_type?: string;
  description?: string;
}

export interface TaskRecord {
  id: string;
  title: string;
  description: string | null;
  input: unknown;
  requiredCapabilities: string[];
  priority: number;
  deadline: string | null;
  parentId: string | null;
  /** The thread this task came out of (one its creator takes part in), if named. */
  threadId: string | null;
  childFailurePolicy: ChildFailurePolicy;
  project: string;
  status: TaskStatus;
  createdBy: string;
  /** The agent holding (or last holding, once finished) the task. */
  assignee: string | null;
  /** Claims so far; a claim is attempt number `attempts`. */
  attempts: number;
  maxAttempts: number;
  leaseSeconds: number;
  leaseExpiresAt: string | null;
  progress: number | null;
  progressNote: string | null;
  question: string | null;
  answer: unknown;
  result: unknown;
  artifacts: TaskArtifact[];
  failureReason: string | null;
  createdAt: string;
  updatedAt: string;
  claimedAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  /** Bumped by every write: waits use it to tell a change from the state they last saw. */
  version: number;
}

export interface TaskFilter {
  project?: string;
  status?: TaskStatus[];
  assignee?: string;
  capability?: string;
  createdBy?: string;
  parentId?: string;
  /** Only tasks that came out of this thread. */
  threadId?: string;
  limit: number;
}

/** Per-agent outcome counts read from the attempt history (analytics). */
export interface AgentTaskStats {
  agentId: string;
  claimed: number;
  completed: number;
  failed: number;
  /** Attempts that ended because the lease ran out or were given back to the queue. */
  reopened: number;
  /** Mean seconds from claim to completion over completed attempts; null when none. */
  meanSecondsToComplete: number | null;
}

/** One claim of a task: who held it, when, and how it ended (outcome null while it runs). */
export interface TaskAttempt {
  attempt: number;
  agentId: string;
  claimedAt: string;
  startedAt: string | null;
  endedAt: string | null;
  /** completed, failed, cancelled, or reopened (the lease ran out, the holder gave it back or was retired). */
  outcome: string | null;
}

/**
 * Decides a change from the current row, inside the write transaction: returns the new row, or
 * throws (a HubError) to refuse, which rolls back that write alone. Must have no side effects: it
 * may run twice when a batch is replayed (SQLite) or a transaction is retried (PostgreSQL).
 */
export type TaskDecision = (current: TaskRecord) => TaskRecord;

/**
 * One change to the attempt history. The domain decides them (src/domain/tasks/attempts.ts: which
 * moves close an attempt, with which outcome, and when a new one opens); the store only writes them,
 * in the same transaction as the task row.
 */
export type AttemptChange =
  /** Closes attempt `attempt` if it is still running. */
  | { kind: 'end'; attempt: number; outcome: string; at: string }
  /** Opens attempt `attempt` (replacing a row of that number, if any). */
  | {
      kind: 'start';
      attempt: number;
      agentId: string;
      createdBy: string;
      claimedAt: string;
      startedAt: string | null;
    }
  /** Records when work on attempt `attempt` started, unless it already has a start. */
  | { kind: 'started'; attempt: number; at: string };

/** A decided write: the new row (the very `current` object means "no change") and its history. */
export interface TaskChange {
  task: TaskRecord;
  attempts: AttemptChange[];
}

/** Like TaskDecision, with the attempt history the change writes (the domain wraps its decisions). */
export type TaskWrite = (current: TaskRecord) => TaskChange;

export interface TaskStore {
  /** Stores a new task and the attempt history its creation writes (a task created already claimed). */
  insert(change: TaskChange): Promise<TaskRecord>;
  get(id: string): Promise<TaskRecord | undefined>;
  list(filter: TaskFilter): Promise<TaskRecord[]>;
  children(parentId: string): Promise<TaskRecord[]>;
  /**
   * Atomic check-and-set on one task; resolves with the committed row (the `version` bumped by one),
   * or the current row untouched when `write` returns it unchanged.
   */
  mutate(id: string, write: TaskWrite): Promise<TaskRecord>;
  /**
   * Atomic: picks the best open task of the project (priority, then age) whose required
   * capabilities the agent has and whose deadline is after `now`, and lets `write` claim it;
   * undefined when none fits.
   */
  claimNext(
    project: string,
    capabilities: string[],
    now: string,
    write: TaskWrite,
  ): Promise<TaskRecord | undefined>;
  /** Ids of held tasks whose lease ended before `now`. */
  expiredLeases(now: string, limit: number): Promise<string[]>;
  /** Ids of unfinished tasks whose deadline is before `now`. */
  overdue(now: string, limit: number): Promise<string[]>;
  /** Tasks each agent currently holds (claimed, in progress, waiting for input). */
  activeCounts(agentIds: string[]): Promise<Map<string, number>>;
  stats(agentIds?: string[]): Promise<AgentTaskStats[]>;
  /** A task's claims in order, from the attempt history. */
  attempts(taskId: string): Promise<TaskAttempt[]>;
  /** Tasks given back to the queue at least `minReopens` times (attempts ended in [since, until)). */
  reopened(q: ReopenedQuery): Promise<ReopenedTaskRow[]>;
}

export interface ReopenedQuery {
  project?: string;
  since?: string;
  /** Exclusive. */
  until?: string;
  minReopens: number;
  limit: number;
}

export interface ReopenedTaskRow {
  task: TaskRecord;
  reopens: number;
  /** Agents that held it, in the order of their first attempt. */
  agents: string[];
}
