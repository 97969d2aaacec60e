/** Persistence for instances: the InstanceStore part of the Store interface. */

export type InstanceStatus = 'starting' | 'idle' | 'busy' | 'stuck' | 'stopping' | 'stopped' | 'failed';

/** A git worktree workspace. */
export interface WorktreeInfo {
  /** The repository's top-level directory. */
  repo: string;
  branch: string;
  path: string;
  /** active while the instance lives; removed (it was clean) or kept (uncommitted changes) after. */
  state: 'active' | 'removed' | 'kept';
  /** Why it was kept, or what happened to it. */
  note?: string;
}

export interface InstanceLimits {
  max_tokens?: number;
  max_cost_usd?: number;
  max_turns?: number;
  max_wall_seconds?: number;
  max_idle_seconds?: number;
}

/** The opt-in restart policy: relaunch (resuming the CLI's session) after the process dies on its own. */
export interface RestartPolicy {
  max_restarts: number;
  backoff_seconds: number;
}

/** What the instance was launched with beyond its columns: enough to restart or resume it. */
export interface InstanceLaunch {
  /** The whole system prompt (role prompt and the caller's). */
  system_prompt?: string;
  /** The program (argv prefix) run. */
  command?: string[];
  permission_mode?: 'default' | 'accept_edits' | 'bypass';
  restart?: RestartPolicy;
}

/**
 * How an instance takes new mail to its agent: manual (only when it asks), idle (a message starts a
 * turn when it is idle) or steer (also written into the turn in progress where the CLI allows it).
 * `settings`: the spawn's own delivery settings (the core schema's input; defaults fill the rest).
 */
export interface InstanceDelivery {
  mode: 'manual' | 'idle' | 'steer';
  settings?: Record<string, unknown>;
}

export interface InstanceRecord {
  id: string;
  agentId: string;
  /** The agent that spawned the tree's root (null: the admin). */
  owner: string | null;
  parentId: string | null;
  rootId: string;
  name: string;
  adapter: string;
  role: string;
  model: string | null;
  workspace: string;
  /** When the workspace is a git worktree: its repository, branch, and whether it was removed or kept. */
  worktree: WorktreeInfo | null;
  status: InstanceStatus;
  /** Why it stopped or failed, in words. */
  reason: string | null;
  pid: number | null;
  /** The child's process group (it leads its own); killed at hub start if a previous run left it. */
  pgid: number | null;
  sessionId: string | null;
  limits: InstanceLimits;
  /** Cumulative usage by model, from the CLI's own result events. */
  usage: Record<string, unknown>;
  tokens: number;
  costUsd: number;
  turns: number;
  exitCode: number | null;
  exitSignal: string | null;
  createdAt: string;
  lastEventAt: string | null;
  endedAt: string | null;
  launch: InstanceLaunch;
  /** Times the restart policy relaunched it. */
  restarts: number;
  delivery: InstanceDelivery;
  /**
   * Cluster mode: the node that spawned it and supervises its process (absent on one machine, and
   * on records that name no node).
   */
  nodeId?: string;
}

export interface InstanceEventRecord {
  /** The cursor: increases across all instances. */
  seq: number;
  instanceId: string;
  kind: string;
  at: string;
  data: Record<string, unknown>;
}

export interface InstanceStore {
  createInstance(record: InstanceRecord): Promise<void>;
  updateInstance(id: string, patch: Partial<InstanceRecord>): Promise<void>;
  getInstance(id: string): Promise<InstanceRecord | undefined>;
  listInstances(filter: {
    status?: InstanceStatus;
    parentId?: string;
    rootId?: string;
  }): Promise<InstanceRecord[]>;
  /**
   * Instances a previous run may have left running: those whose status is not one of `terminal`
   * (the domain says which statuses end an instance), by id.
   */
  unfinishedInstances(terminal: readonly InstanceStatus[]): Promise<InstanceRecord[]>;
  /**
   * Writes `patch` only if the instance is still as the caller saw it: owned by `expect.nodeId`
   * (null: by no node) and in `expect.status`. Answers whether it was written. Taking over another
   * node's instance, and resuming or failing one's own after a restart, go through it, so of two
   * nodes acting on one instance at once exactly one does.
   */
  claimInstance(
    id: string,
    expect: { nodeId: string | null; status: InstanceStatus },
    patch: Partial<InstanceRecord>,
  ): Promise<boolean>;
  /** Appends output events; answers with their cursors. */
  appendInstanceEvents(events: Array<Omit<InstanceEventRecord, 'seq'>>): Promise<number[]>;
  instanceEvents(instanceId: string, afterSeq: number, limit: number): Promise<InstanceEventRecord[]>;
}
