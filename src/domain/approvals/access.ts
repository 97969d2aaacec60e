/**
 * Who may see and decide the approvals queue: the admin, every approval; an agent the admin granted
 * `approvals` (grant_approvals), the approvals of its own project; anyone else, none (forbidden, with
 * a message that names the grant). Pure rules, no store.
 */
import { HubError } from '../../core/errors.js';

export type ApprovalViewer =
  { kind: 'admin' } | { kind: 'agent'; agentId: string; project: string; granted: boolean };

/** Why a viewer without the grant is refused, and how to get it. */
export function grantHint(agentId: string): string {
  return `the approvals grant: the admin runs \`switchboard grant_approvals --agent-id ${agentId}\` (agents then decide their own project's approvals)`;
}

/** The project whose approvals the viewer sees (null: all of them); forbidden without the grant. */
export function approvalScope(viewer: ApprovalViewer, op: string): { project: string | null } {
  if (viewer.kind === 'admin') return { project: null };
  if (!viewer.granted)
    throw new HubError('forbidden', `${op} is for the admin, or an agent with ${grantHint(viewer.agentId)}`);
  return { project: viewer.project };
}

/** Whether the viewer sees this approval at all (not: it answers not_found, as for a missing id). */
export function maySee(viewer: ApprovalViewer, approval: { project: string | null }): boolean {
  if (viewer.kind === 'admin') return true;
  return viewer.granted && approval.project !== null && approval.project === viewer.project;
}

/** Whether the viewer may wait on or close a permission request: its requester or the admin. */
export function isRequester(viewer: ApprovalViewer, approval: { agentId: string | null }): boolean {
  return viewer.kind === 'admin' || (approval.agentId !== null && approval.agentId === viewer.agentId);
}
