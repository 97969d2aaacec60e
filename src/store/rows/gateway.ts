/** Gateway rows (servers, approvals, grants) as both stores read them, and the records they become. */
import type { ApprovalKind, ApprovalStatus, StoredApproval, StoredGrant } from '../gateway.js';

export interface ServerRow {
  name: string;
  spec: string;
  created_at: string;
  created_by: string | null;
}

export interface ApprovalRow {
  id: string;
  kind: ApprovalKind;
  agent_id: string | null;
  project: string | null;
  request_id: string | null;
  description: string | null;
  input_preview: string | null;
  tool: string;
  server: string;
  args: string;
  rule: string | null;
  correlation_id: string;
  requested_by: string;
  requested_at: string;
  expires_at: string;
  status: ApprovalStatus;
  decided_by: string | null;
  decided_at: string | null;
  reason: string | null;
  node_id: string | null;
}

export interface GrantRow {
  agent_id: string;
  granted_by: string;
  granted_at: string;
}

export const grantOf = (r: GrantRow): StoredGrant => ({
  agentId: r.agent_id,
  grantedBy: r.granted_by,
  grantedAt: r.granted_at,
});

export const approvalOf = (r: ApprovalRow): StoredApproval => ({
  id: r.id,
  kind: r.kind,
  agentId: r.agent_id,
  project: r.project,
  permission:
    r.kind === 'permission'
      ? {
          requestId: r.request_id ?? '',
          description: r.description ?? '',
          inputPreview: r.input_preview ?? '',
        }
      : null,
  tool: r.tool,
  server: r.server,
  args: JSON.parse(r.args),
  rule: r.rule,
  correlationId: r.correlation_id,
  requestedBy: r.requested_by,
  requestedAt: r.requested_at,
  expiresAt: r.expires_at,
  status: r.status,
  decidedBy: r.decided_by,
  decidedAt: r.decided_at,
  reason: r.reason,
  nodeId: r.node_id,
});

/** An approval's column values, in the order both stores' INSERTs list the columns. */
export const approvalParams = (a: StoredApproval): unknown[] => [
  a.id,
  a.kind,
  a.agentId,
  a.project,
  a.permission?.requestId ?? null,
  a.permission?.description ?? null,
  a.permission?.inputPreview ?? null,
  a.tool,
  a.server,
  JSON.stringify(a.args),
  a.rule,
  a.correlationId,
  a.requestedBy,
  a.requestedAt,
  a.expiresAt,
  a.status,
  a.decidedBy,
  a.decidedAt,
  a.reason,
  a.nodeId,
];
