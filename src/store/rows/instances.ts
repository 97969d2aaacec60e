/** Instance rows: the column of each record field, and the mapping both stores use both ways. */
import type { InstanceRecord } from '../instances.js';

export type Row = Record<string, unknown>;

/** `optional`: a plain column whose field is left out of the record when it is null. */
export type Kind = 'json' | 'plain' | 'optional';

export const COLUMNS: Array<[keyof InstanceRecord, string, Kind]> = [
  ['id', 'id', 'plain'],
  ['agentId', 'agent_id', 'plain'],
  ['owner', 'owner', 'plain'],
  ['parentId', 'parent_id', 'plain'],
  ['rootId', 'root_id', 'plain'],
  ['name', 'name', 'plain'],
  ['adapter', 'adapter', 'plain'],
  ['role', 'role', 'plain'],
  ['model', 'model', 'plain'],
  ['workspace', 'workspace', 'plain'],
  ['worktree', 'worktree', 'json'],
  ['status', 'status', 'plain'],
  ['reason', 'reason', 'plain'],
  ['pid', 'pid', 'plain'],
  ['pgid', 'pgid', 'plain'],
  ['sessionId', 'session_id', 'plain'],
  ['limits', 'limits', 'json'],
  ['usage', 'usage', 'json'],
  ['tokens', 'tokens', 'plain'],
  ['costUsd', 'cost_usd', 'plain'],
  ['turns', 'turns', 'plain'],
  ['exitCode', 'exit_code', 'plain'],
  ['exitSignal', 'exit_signal', 'plain'],
  ['createdAt', 'created_at', 'plain'],
  ['lastEventAt', 'last_event_at', 'plain'],
  ['endedAt', 'ended_at', 'plain'],
  ['launch', 'launch', 'json'],
  ['restarts', 'restarts', 'plain'],
  ['delivery', 'delivery', 'json'],
  ['nodeId', 'node_id', 'optional'],
];

export const toColumn = (kind: Kind, v: unknown) => (kind === 'json' ? JSON.stringify(v) : (v ?? null));

export function toRecord(r: Row): InstanceRecord {
  const out: Record<string, unknown> = {};
  for (const [key, col, kind] of COLUMNS) {
    if (kind === 'json') out[key] = JSON.parse(r[col] as string);
    else if (kind === 'plain' || r[col] !== null) out[key] = r[col];
  }
  return out as unknown as InstanceRecord;
}
