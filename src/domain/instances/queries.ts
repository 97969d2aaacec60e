/**
 * Reading instances: one instance's status (with whether a turn runs and its tree's usage), the
 * list a caller may see, and its stored output events by cursor.
 */
import type { Caller } from '../../core/caller.js';
import { HubError } from '../../core/errors.js';
import type { InstanceRecord, InstanceStatus } from '../../store/instances.js';
import type { InstanceState } from './state.js';
import { instanceView, treeUsage } from './views.js';
import { requireInstance, visible } from './visibility.js';

export async function statusOf(st: InstanceState, r: InstanceRecord) {
  const tree = await st.d.store.instances.listInstances({ rootId: r.rootId });
  const sup = st.live.get(r.id);
  return {
    ...instanceView(r),
    // An instance another node runs: its stored status says whether a turn runs.
    busy: sup ? sup.turns.busy : r.status === 'busy',
    tree_usage: treeUsage(r.id, tree),
  };
}

export async function status(st: InstanceState, caller: Caller, id: string) {
  return statusOf(st, await requireInstance(st, caller, id));
}

export async function list(
  st: InstanceState,
  caller: Caller,
  filter: { status?: InstanceStatus; parent_id?: string; root_id?: string },
) {
  await st.ready;
  const rows = await st.d.store.instances.listInstances({
    status: filter.status,
    parentId: filter.parent_id,
    rootId: filter.root_id,
  });
  const out = [];
  for (const r of rows) {
    const current = st.live.get(r.id)?.record ?? r;
    if (await visible(st, caller, current)) out.push(instanceView(current));
  }
  return out;
}

export async function output(
  st: InstanceState,
  caller: Caller,
  id: string,
  since: string | undefined,
  limit: number,
) {
  const r = await requireInstance(st, caller, id);
  const after = since ? Number(since) : 0;
  if (!Number.isInteger(after) || after < 0)
    throw new HubError('invalid_input', 'since: a cursor from next_cursor');
  const rows = await st.d.store.instances.instanceEvents(r.id, after, limit + 1);
  const page = rows.slice(0, limit);
  const events = page.map((e) => ({ cursor: String(e.seq), at: e.at, kind: e.kind, ...e.data }));
  const text = page
    .filter((e) => e.kind === 'text')
    .map((e) => String(e.data.text))
    .join('\n');
  return {
    instance_id: r.id,
    status: r.status,
    events,
    text,
    next_cursor: page.length ? String(page.at(-1)!.seq) : String(after),
    has_more: rows.length > limit,
  };
}
