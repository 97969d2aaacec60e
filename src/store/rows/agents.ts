/** Agent rows as both stores read them, the records they become, and the columns a patch may set. */
import type { AgentRecord } from '../types.js';

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
