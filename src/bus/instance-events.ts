/** Events of the instances capability (added to HubEvent). Published hub-wide and on the owner's channel. */

export type InstanceStatusName = 'starting' | 'idle' | 'busy' | 'stuck' | 'stopping' | 'stopped' | 'failed';

export type InstanceView = {
  instance_id: string;
  agent_id: string;
  name: string;
  owner: string | null;
  parent_id: string | null;
  root_id: string;
  adapter: string;
  role: string;
  model: string | null;
  workspace: string;
  worktree: {
    repo: string;
    branch: string;
    state: 'active' | 'removed' | 'kept';
    note: string | null;
  } | null;
  status: InstanceStatusName;
  reason: string | null;
  pid: number | null;
  session_id: string | null;
  limits: Record<string, number | undefined>;
  usage: { tokens: number; cost_usd: number; turns: number; by_model: Record<string, unknown> };
  permission_mode: 'default' | 'accept_edits' | 'bypass';
  /** The opt-in restart policy, and how often it relaunched the CLI. */
  restart: { max_restarts: number; backoff_seconds: number } | null;
  restarts: number;
  /** How new mail reaches it (manual, idle, steer) and the spawn's own delivery settings. */
  delivery: { mode: 'manual' | 'idle' | 'steer'; settings: Record<string, unknown> | null };
  exit_code: number | null;
  exit_signal: string | null;
  created_at: string;
  last_event_at: string | null;
  ended_at: string | null;
};

export type InstanceEvent =
  | { type: 'instance.spawned'; at: string; instance: InstanceView }
  | {
      type: 'instance.status';
      at: string;
      instance_id: string;
      status: InstanceStatusName;
      previous: InstanceStatusName;
      reason: string | null;
    }
  /** One output event of an instance (text, tool use, result, ...), with its cursor. */
  | {
      type: 'instance.output';
      at: string;
      instance_id: string;
      cursor: string;
      event: Record<string, unknown>;
    }
  | { type: 'instance.ended'; at: string; instance: InstanceView }
  /** Busy with no output for instances.stuckSeconds (the health loop); it goes back to busy on its next event. */
  | { type: 'instance.stuck'; at: string; instance_id: string; silent_seconds: number }
  /** The restart policy relaunched it after its process died on its own (resuming the CLI's session). */
  | { type: 'instance.restarted'; at: string; instance_id: string; restarts: number; reason: string };
