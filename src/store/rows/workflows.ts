/** Workflow run and step rows as both stores read them, the records they become, and the JSON column helpers. */
import type { RunStatus, StepStatus, StoredRun, StoredStep } from '../workflows.js';

export interface RunRow {
  id: string;
  name: string | null;
  definition: string;
  inputs: string;
  status: RunStatus;
  started_by: string;
  agent_id: string | null;
  correlation_id: string;
  output: string | null;
  error: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
  node_id: string | null;
  lease_expires_at: string | null;
}

export interface StepRow {
  run_id: string;
  step_id: string;
  position: number;
  parent: string | null;
  call: string | null;
  status: StepStatus;
  attempts: number;
  output: string | null;
  error: string | null;
  started_at: string | null;
  finished_at: string | null;
}

export const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));
export const parsed = (s: string | null): unknown => (s === null ? null : JSON.parse(s));

export const runOf = (r: RunRow): StoredRun => ({
  id: r.id,
  name: r.name,
  definition: JSON.parse(r.definition),
  inputs: JSON.parse(r.inputs),
  status: r.status,
  startedBy: r.started_by,
  agentId: r.agent_id,
  correlationId: r.correlation_id,
  output: parsed(r.output),
  error: r.error,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  finishedAt: r.finished_at,
  ...(r.node_id !== null ? { nodeId: r.node_id } : {}),
  ...(r.lease_expires_at !== null ? { leaseExpiresAt: r.lease_expires_at } : {}),
});

export const stepOf = (r: StepRow): StoredStep => ({
  runId: r.run_id,
  stepId: r.step_id,
  position: r.position,
  parent: r.parent,
  call: r.call,
  status: r.status,
  attempts: r.attempts,
  output: parsed(r.output),
  error: r.error,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

/** A run's column values, in the order both stores' INSERTs list the columns. */
export const runParams = (run: StoredRun): unknown[] => [
  run.id,
  run.name,
  JSON.stringify(run.definition),
  JSON.stringify(run.inputs),
  run.status,
  run.startedBy,
  run.agentId,
  run.correlationId,
  json(run.output),
  run.error,
  run.createdAt,
  run.updatedAt,
  run.finishedAt,
  run.nodeId ?? null,
  run.leaseExpiresAt ?? null,
];
