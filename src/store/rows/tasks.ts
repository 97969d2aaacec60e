/** Task rows ↔ TaskRecord (JSON columns, nullable fields), and the attempt rows; shared by both stores. */
import type { AgentTaskStats, TaskAttempt, TaskRecord, TaskStatus } from '../tasks.js';

export interface TaskRow {
  id: string;
  title: string;
  description: string | null;
  input: string;
  required_capabilities: string;
  priority: number;
  deadline: string | null;
  parent_id: string | null;
  thread_id: string | null;
  child_failure_policy: TaskRecord['childFailurePolicy'];
  project: string;
  status: TaskStatus;
  created_by: string;
  assignee: string | null;
  attempts: number;
  max_attempts: number;
  lease_seconds: number;
  lease_expires_at: string | null;
  progress: number | null;
  progress_note: string | null;
  question: string | null;
  answer: string | null;
  result: string | null;
  artifacts: string;
  failure_reason: string | null;
  created_at: string;
  updated_at: string;
  claimed_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  version: number;
}

const json = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v));
const parse = (s: string | null): unknown => (s === null ? null : JSON.parse(s));

export function fromTaskRow(r: TaskRow): TaskRecord {
  return {
    id: r.id,
    title: r.title,
    description: r.description,
    input: parse(r.input),
    requiredCapabilities: JSON.parse(r.required_capabilities),
    priority: r.priority,
    deadline: r.deadline,
    parentId: r.parent_id,
    threadId: r.thread_id ?? null,
    childFailurePolicy: r.child_failure_policy,
    project: r.project,
    status: r.status,
    createdBy: r.created_by,
    assignee: r.assignee,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    leaseSeconds: r.lease_seconds,
    leaseExpiresAt: r.lease_expires_at,
    progress: r.progress,
    progressNote: r.progress_note,
    question: r.question,
    answer: parse(r.answer),
    result: parse(r.result),
    artifacts: JSON.parse(r.artifacts),
    failureReason: r.failure_reason,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    claimedAt: r.claimed_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    version: r.version,
  };
}

export function taskParams(t: TaskRecord): TaskRow {
  return {
    id: t.id,
    title: t.title,
    description: t.description,
    input: json(t.input) ?? 'null',
    required_capabilities: JSON.stringify(t.requiredCapabilities),
    priority: t.priority,
    deadline: t.deadline,
    parent_id: t.parentId,
    thread_id: t.threadId,
    child_failure_policy: t.childFailurePolicy,
    project: t.project,
    status: t.status,
    created_by: t.createdBy,
    assignee: t.assignee,
    attempts: t.attempts,
    max_attempts: t.maxAttempts,
    lease_seconds: t.leaseSeconds,
    lease_expires_at: t.leaseExpiresAt,
    progress: t.progress,
    progress_note: t.progressNote,
    question: t.question,
    answer: json(t.answer),
    result: json(t.result),
    artifacts: JSON.stringify(t.artifacts),
    failure_reason: t.failureReason,
    created_at: t.createdAt,
    updated_at: t.updatedAt,
    claimed_at: t.claimedAt,
    started_at: t.startedAt,
    finished_at: t.finishedAt,
    version: t.version,
  };
}

/** A `task_attempts` row as both stores read it for a task's history. */
export interface AttemptRow {
  attempt: number;
  agent_id: string;
  claimed_at: string;
  started_at: string | null;
  ended_at: string | null;
  outcome: string | null;
}

export const toAttempt = (r: AttemptRow): TaskAttempt => ({
  attempt: r.attempt,
  agentId: r.agent_id,
  claimedAt: r.claimed_at,
  startedAt: r.started_at,
  endedAt: r.ended_at,
  outcome: r.outcome,
});

/**
 * One agent's attempt counts. SQLite's `SUM(outcome = …)` may be null (hence `?? 0`); PostgreSQL's
 * `COUNT(*) FILTER (…)` never is.
 */
export interface AgentStatsRow {
  agent_id: string;
  claimed: number;
  completed: number | null;
  failed: number | null;
  reopened: number | null;
  mean_seconds: number | null;
}

export const toAgentStats = (r: AgentStatsRow): AgentTaskStats => ({
  agentId: r.agent_id,
  claimed: r.claimed,
  completed: r.completed ?? 0,
  failed: r.failed ?? 0,
  reopened: r.reopened ?? 0,
  meanSecondsToComplete: r.mean_seconds === null ? null : Math.round(r.mean_seconds * 1000) / 1000,
});
