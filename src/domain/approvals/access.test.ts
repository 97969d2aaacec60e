import { describe, expect, it } from 'vitest';
import { type ApprovalViewer, approvalScope, isRequester, maySee } from './access.js';

const admin: ApprovalViewer = { kind: 'admin' };
const granted: ApprovalViewer = { kind: 'agent', agentId: 'g', project: 'p', granted: true };
const plain: ApprovalViewer = { kind: 'agent', agentId: 'a', project: 'p', granted: false };

describe('approval access', () => {
  it('the admin sees every approval; a granted agent its project only', () => {
    expect(approvalScope(admin, 'list_approvals')).toEqual({ project: null });
    expect(approvalScope(granted, 'list_approvals')).toEqual({ project: 'p' });
    expect(maySee(admin, { project: null })).toBe(true);
    expect(maySee(granted, { project: 'p' })).toBe(true);
    expect(maySee(granted, { project: 'q' })).toBe(false);
    expect(maySee(granted, { project: null })).toBe(false);
  });

  it('an agent without the grant is forbidden, told which grant it needs, and sees nothing', () => {
    expect(() => approvalScope(plain, 'approve_call')).toThrow(
      /approve_call is for the admin, or an agent with the approvals grant: .*grant_approvals --agent-id a/,
    );
    expect(maySee(plain, { project: 'p' })).toBe(false);
  });

  it('only the requester (or the admin) waits on or closes its request', () => {
    expect(isRequester(plain, { agentId: 'a' })).toBe(true);
    expect(isRequester(granted, { agentId: 'a' })).toBe(false);
    expect(isRequester(admin, { agentId: 'a' })).toBe(true);
    expect(isRequester(plain, { agentId: null })).toBe(false);
  });
});
