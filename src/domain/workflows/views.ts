/** Runs and steps as operations return them. */
import type { RunView, StepView } from '../../core/wire/index.js';
import type { StoredRun, StoredStep } from '../../store/workflows.js';

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
