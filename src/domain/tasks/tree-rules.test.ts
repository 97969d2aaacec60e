import { describe, expect, it } from 'vitest';
import { HubError } from '../../core/errors.js';
import type { TaskRecord, TaskStatus } from '../../store/tasks.js';
import { checkMayAddChild, childSettles, parentOutcome } from './tree-rules.js';

const at = '2026-01-01T00:00:00.000Z';
function task(over: Partial<TaskRecord> & { id: string }): TaskRecord {
  return {
    title: over.id,
    description: null,
    input: null,
    requiredCapabilities: [],
    priority: 0,
    deadline: null,
    parentId: null,
    threadId: null,
    childFailurePolicy: 'fail_parent',
    project: 'default',
    status: 'open',
    createdBy: 'd',
    assignee: null,
    attempts: 0,
    maxAttempts: 3,
    leaseSeconds: 300,
    leaseExpiresAt: null,
    progress: null,
    progressNote: null,
    question: null,
    answer: null,
    result: null,
    artifacts: [],
    failureReason: null,
    createdAt: at,
    updatedAt: at,
    claimedAt: null,
    startedAt: null,
    finishedAt: null,
    version: 1,
    ...over,
  };
}
const held = (status: TaskStatus = 'in_progress') => task({ id: 'p', createdBy: 'd', assignee: 'b', status });
const child = (id: string, createdBy: string, status: TaskStatus, over: Partial<TaskRecord> = {}) =>
  task({ id, createdBy, status, parentId: 'p', ...over });

describe('who may add children', () => {
  it('the creator, the holder and the admin; anyone else is forbidden, told by whom the task is held', () => {
    expect(() => checkMayAddChild(held(), 'd', false)).not.toThrow();
    expect(() => checkMayAddChild(held(), 'b', false)).not.toThrow();
    expect(() => checkMayAddChild(held(), 'x', true)).not.toThrow();
    let err: unknown;
    try {
      checkMayAddChild(held(), 'x', false);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HubError);
    expect((err as HubError).code).toBe('forbidden');
    expect((err as HubError).message).toContain('created by d and is held by b');
    // A former holder (the task re-opened) holds nothing any more.
    expect(() => checkMayAddChild(task({ id: 'p', assignee: 'b', status: 'open' }), 'b', false)).toThrow(
      /created by d;/,
    );
  });
});

describe('what children make of their parent', () => {
  it('an unheld parent follows all its children', () => {
    const open = task({ id: 'p' });
    expect(childSettles(open, child('c', 'x', 'completed'))).toBe(true);
    expect(parentOutcome(open, [child('a', 'd', 'completed', { result: 1 })])).toMatchObject({
      status: 'completed',
      result: { children: [{ task_id: 'a', status: 'completed', result: 1 }] },
    });
    expect(parentOutcome(open, [child('a', 'd', 'completed'), child('b', 'd', 'claimed')])).toBeNull();
    expect(parentOutcome(open, [child('a', 'd', 'failed', { failureReason: 'no' })])).toMatchObject({
      status: 'failed',
      reason: 'child task a failed: no',
    });
    expect(
      parentOutcome({ ...open, childFailurePolicy: 'ignore' }, [child('a', 'd', 'failed')]),
    ).toMatchObject({ status: 'completed' });
  });

  it('a held parent follows only its holder’s children; others leave the outcome to the holder', () => {
    expect(parentOutcome(held(), [child('a', 'b', 'completed')])).toMatchObject({ status: 'completed' });
    expect(parentOutcome(held('input_required'), [child('a', 'b', 'failed')])).toMatchObject({
      status: 'failed',
    });
    expect(parentOutcome(held(), [child('a', 'd', 'completed')])).toBeNull();
    expect(parentOutcome(held(), [child('a', 'd', 'failed')])).toBeNull();
    expect(parentOutcome(held(), [child('a', 'b', 'completed'), child('z', 'd', 'completed')])).toBeNull();
  });

  it('a finished parent or one without children is left alone', () => {
    expect(parentOutcome(task({ id: 'p', status: 'completed' }), [child('a', 'd', 'completed')])).toBeNull();
    expect(parentOutcome(task({ id: 'p' }), [])).toBeNull();
  });
});
