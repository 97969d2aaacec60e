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
  /** Cluster mode: the node running it (absent when none is named). */
  nodeId?: string;
  /** Cluster mode: until when that node's lease on the run holds (absent when none is held). */
  leaseExpiresAt?: string;
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

/** How a run ended. */
export interface RunEnd {
  status: Exclude<RunStatus, 'running'>;
  output: unknown;
  error: string | null;
  at: string;
  /** Steps in these statuses become `cancelled` (finished at `at`) with the run. */
  cancelSteps?: readonly StepStatus[];
}

export interface WorkflowStore {
  /** Inserts a run and all its steps (pending) in one write. */
  createRun(run: StoredRun, steps: StoredStep[]): Promise<void>;
  /**
   * Writes one step's new state; false (nothing written) when the run is no longer running, or when
   * `owner` is given and that node no longer owns the run (another node took it over: fencing).
   */
  updateStep(step: StoredStep, at: string, owner?: string): Promise<boolean>;
  /**
   * Ends a running run; in the same write its steps whose status is one of `cancelSteps` (the domain
   * names them: those not yet finished, when a run is cancelled) become `cancelled`.
   * False when it was not running, or when `owner` is given and that node no longer owns it.
   */
  finishRun(id: string, end: RunEnd, owner?: string): Promise<boolean>;
  /**
   * Makes `owner` the owner of the running runs it may take, until `leaseExpiresAt` (null: no lease,
   * one node alone), and returns them
   * (as they are now): those it owns already, those with no lease, and — when `expiredBefore` is
   * given — those whose lease ended before it; without `expiredBefore`, every running run (one node
   * alone). Each run goes to exactly one of several nodes claiming at once.
   */
  claimRuns(owner: string, leaseExpiresAt: string | null, expiredBefore?: string): Promise<StoredRun[]>;
  /**
   * Extends `owner`'s leases on these runs (one write); returns the ids it still owns and that are
   * still running (the others were taken over or ended).
   */
  renewLeases(owner: string, ids: readonly string[], leaseExpiresAt: string): Promise<string[]>;
  getRun(id: string): Promise<StoredRun | undefined>;
  /** In definition order. */
  getSteps(runId: string): Promise<StoredStep[]>;
  /** Newest first. */
  listRuns(filter: { agentId?: string; status?: RunStatus; limit: number }): Promise<StoredRun[]>;
}
