/** Agent rows as both stores read them, the records they become, and the columns a patch may set. */
import type { AgentRecord, RecordedStatus, StatusChange } from '../types.js';

export interface AgentRow {
  id: string;
  name: string;
  session_id: string | null;
  project: string;
  role: string | null;
  description: string | null;
  capabilities: string;
  metadata: string;
  token_hash: string;
  declared_status: AgentRecord['declaredStatus'];
  created_at: string;
  last_seen_at: string;
  retired_at: string | null;
}

export const toRecord = (r: AgentRow): AgentRecord => ({
  id: r.id,
  name: r.name,
  sessionId: r.session_id,
  project: r.project,
  role: r.role,
  description: r.description,
  capabilities: JSON.parse(r.capabilities),
  metadata: JSON.parse(r.metadata),
  tokenHash: r.token_hash,
  declaredStatus: r.declared_status,
  createdAt: r.created_at,
  lastSeenAt: r.last_seen_at,
  retiredAt: r.retired_at,
});

/** Every column but metadata, for listings that never show it. */
export const WITHOUT_METADATA = `a.id, a.name, a.session_id, a.project, a.role, a.description, a.capabilities,
  '{}' AS metadata, a.token_hash, a.declared_status, a.created_at, a.last_seen_at, a.retired_at`;

/** Record field → column; only these can be patched (the SQL names come from here, never from input). */
export const COLUMNS: Record<string, string> = {
  name: 'name',
  sessionId: 'session_id',
  project: 'project',
  role: 'role',
  description: 'description',
  capabilities: 'capabilities',
  metadata: 'metadata',
  tokenHash: 'token_hash',
  declaredStatus: 'declared_status',
  lastSeenAt: 'last_seen_at',
  retiredAt: 'retired_at',
};

/** An agent's published status as stored. */
export interface PublishedStatusRow {
  id: string;
  published_status: string | null;
  published_status_since: string | null;
}

/**
 * Of the status changes noted, those that apply to the stored rows (`Store.recordAgentStatuses`):
 * another status than the one published, that began no earlier than it. Both stores run it on rows they hold
 * locked (or in their one write transaction).
 */
export function changedStatuses(
  rows: PublishedStatusRow[],
  byId: Map<string, StatusChange>,
): RecordedStatus[] {
  const out: RecordedStatus[] = [];
  for (const r of rows) {
    const ch = byId.get(r.id);
    if (!ch || r.published_status === ch.status) continue;
    const stored = r.published_status_since;
    if (stored !== null && Date.parse(stored) > Date.parse(ch.since)) continue;
    out.push({ id: r.id, status: ch.status, previous: r.published_status });
  }
  return out;
}
