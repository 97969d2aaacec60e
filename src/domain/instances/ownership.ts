/**
 * Which node runs an instance (cluster mode). An instance's process lives on the node that spawned
 * it, named in its record (`nodeId`). send_to_instance, interrupt_instance and terminate_instance
 * arriving on another node are forwarded to that owner over NodeCalls; the owner runs them as if
 * they had arrived there, so the answer is the one it would give (an owner that left or died: a
 * clear `unavailable`, saying what happens to the instance). Reads come from the store and
 * work on any node. On SQLite the hub is the only node and runs every instance.
 */
import { HubError } from '../../core/errors.js';
import type { InstanceRecord } from '../../store/instances.js';
import type { NodeCalls } from '../cluster/node-calls.js';
import { describeGone } from '../nodes/service.js';
import { type InstanceState, TERMINAL } from './state.js';

/** This node's id. */
export const thisNode = (st: InstanceState): string => st.services.info.nodes.id;

/** Whether this node runs (or ran) the instance: its record names this node; on SQLite, always. */
export function ownedHere(st: InstanceState, r: InstanceRecord): boolean {
  const nodes = st.services.info.nodes;
  return !nodes.clustered || r.nodeId === nodes.id;
}

/**
 * The live node to forward a turn or stop to, or null when this node handles it (it runs the
 * instance, or the instance has ended and any node answers alike). An owner that is not live gives
 * `unavailable` naming it: the takeover sweep resumes or fails its instances soon.
 */
export async function remoteOwner(st: InstanceState, r: InstanceRecord): Promise<string | null> {
  if (!st.calls || !r.nodeId || ownedHere(st, r) || TERMINAL.includes(r.status)) return null;
  const nodes = st.services.info.nodes;
  if (await nodes.isLive(r.nodeId)) return r.nodeId;
  const node = await nodes.find(r.nodeId);
  const grace = st.d.config.instances.takeoverLeftAfterSeconds;
  throw new HubError(
    'unavailable',
    node?.leftAt
      ? `Instance ${r.id} runs on hub node ${r.nodeId}, which left the cluster at ${node.leftAt} (closed on purpose); ` +
          `it resumes the instance when it starts again, or a live node takes it over ${grace} s after it left — try again then`
      : `Instance ${r.id} runs on hub node ${r.nodeId}, which is not live (${describeGone(node)}); ` +
          'a live node takes its instances over shortly (resuming those it can) — try again then',
    { details: { instance_id: r.id, node_id: r.nodeId } },
  );
}

/** How long a forwarded call may take beyond the operation's own wait (the bus, the owner's work). */
export const FORWARD_SLACK_MS = 15_000;

/** Forwards `op` to the owner node and answers with what it answered (or throws what it threw). */
export function forward<T>(
  calls: NodeCalls,
  node: string,
  op: string,
  args: unknown,
  waitMs: number,
): Promise<T> {
  return calls.call<T>(node, op, args, waitMs + FORWARD_SLACK_MS);
}
