/** Persistence for workflows: the WorkflowStore part of the Store interface. */
export type RunStatus = 'running' | 'completed' | 'failed' | 'cancelled';
export type StepStatus = 'pending' | 'running' | 'completed' | 'failed' | 'skipped' | 'cancelled';

export interface StoredRun {
  id: string;
  name: string | null;
  /** The validated definition, as JSON. */
  definition: Record<string, unknown>;
  inputs: Record<string, unknown>;
  status: RunStatus;
  /** Who started it: `admin` or `agent:<id>` (the identity its steps act with). */
  startedBy: string;
  /** The starting agent (null: the admin). */
  agentId: string | null;
  correlationId: string;
  output: unknown;
  error: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

export interface StoredStep {
  runId: string;
  stepId: string;
  /** Order in the definition (branches of a parallel step follow it). */
  position: number;
  /** The parallel step a branch belongs to. */
  parent: string | null;
  call: string | null;
  status: StepStatus;
  attempts: number;
  output: unknown;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface WorkflowStore {
  /** Inserts a run and all its steps (pending) in one write. */
  createRun(run: StoredRun, steps: StoredStep[]): Promise<void>;
  /** Writes one step's new state; false (nothing written) when the run is no longer running. */
  updateStep(step: StoredStep, at: string): Promise<boolean>;
  /**
   * Ends a running run; steps not yet finished become `cancelled` when it is cancelled.
   * False when it was not running.
   */
  finishRun(
    id: string,
    end: { status: Exclude<RunStatus, 'running'>; output: unknown; error: string | null; at: string },
  ): Promise<boolean>;
  getRun(id: string): Promise<StoredRun | undefined>;
  /** In definition order. */
  getSteps(runId: string): Promise<StoredStep[]>;
  /** Newest first. */
  listRuns(filter: { agentId?: string; status?: RunStatus; limit: number }): Promise<StoredRun[]>;
}
