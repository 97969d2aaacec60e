/** Events of the instances capability (added to HubEvent). Published hub-wide and on the owner's channel. */
import type { InstanceStatusName, InstanceView } from '../core/wire/index.js';

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
