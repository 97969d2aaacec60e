/** Runs and steps as operations return them. */
import type { StoredRun, StoredStep } from '../../store/workflows.js';

export interface StepView {
  id: string;
  parent: string | null;
  call: string | null;
  status: string;
  attempts: number;
  output: unknown;
  error: string | null;
  started_at: string | null;
  finished_at: string | null;
}

export interface RunView {
  run_id: string;
  name: string | null;
  status: string;
  started_by: string;
  correlation_id: string;
  inputs: Record<string, unknown>;
  output: unknown;
  error: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
  steps: StepView[];
}

export const stepView = (s: StoredStep): StepView => ({
  id: s.stepId,
  parent: s.parent,
  call: s.call,
  status: s.status,
  attempts: s.attempts,
  output: s.output,
  error: s.error,
  started_at: s.startedAt,
  finished_at: s.finishedAt,
});

export const runView = (r: StoredRun, steps: StoredStep[]): RunView => ({
  run_id: r.id,
  name: r.name,
  status: r.status,
  started_by: r.startedBy,
  correlation_id: r.correlationId,
  inputs: r.inputs,
  output: r.output,
  error: r.error,
  created_at: r.createdAt,
  updated_at: r.updatedAt,
  finished_at: r.finishedAt,
  steps: steps.map(stepView),
});
