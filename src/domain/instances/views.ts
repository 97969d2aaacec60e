/** The wire view of an instance. */
import type { InstanceView } from '../../core/wire/index.js';
import type { InstanceRecord } from '../../store/instances.js';

export function instanceView(r: InstanceRecord): InstanceView {
  return {
    instance_id: r.id,
    agent_id: r.agentId,
    name: r.name,
    owner: r.owner,
    parent_id: r.parentId,
    root_id: r.rootId,
    adapter: r.adapter,
    role: r.role,
    model: r.model,
    workspace: r.workspace,
    worktree: r.worktree
      ? {
          repo: r.worktree.repo,
          branch: r.worktree.branch,
          state: r.worktree.state,
          note: r.worktree.note ?? null,
        }
      : null,
    status: r.status,
    reason: r.reason,
    pid: r.pid,
    session_id: r.sessionId,
    limits: { ...r.limits },
    usage: { tokens: r.tokens, cost_usd: r.costUsd, turns: r.turns, by_model: r.usage },
    permission_mode: r.launch.permission_mode ?? 'accept_edits',
    restart: r.launch.restart ?? null,
    restarts: r.restarts,
    delivery: { mode: r.delivery.mode, settings: r.delivery.settings ?? null },
    exit_code: r.exitCode,
    exit_signal: r.exitSignal,
    created_at: r.createdAt,
    last_event_at: r.lastEventAt,
    ended_at: r.endedAt,
  };
}

/** Usage of an instance and all its descendants. */
export function treeUsage(root: string, all: InstanceRecord[]) {
  const children = new Map<string, InstanceRecord[]>();
  for (const r of all) if (r.parentId) children.set(r.parentId, [...(children.get(r.parentId) ?? []), r]);
  let tokens = 0;
  let cost = 0;
  let count = 0;
  const stack = all.filter((r) => r.id === root);
  while (stack.length) {
    const r = stack.pop()!;
    tokens += r.tokens;
    cost += r.costUsd;
    count += 1;
    stack.push(...(children.get(r.id) ?? []));
  }
  return { tokens, cost_usd: Math.round(cost * 1e9) / 1e9, instances: count };
}
