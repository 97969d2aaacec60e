/** A stored task as a store test writes it: an open task of project `p1` created at `T0`, changed by `over`. */
import type { TaskRecord } from '../../src/store/tasks.js';

export const T0 = Date.parse('2026-03-01T10:00:00.000Z');
export const iso = (ms: number) => new Date(ms).toISOString();

export function taskRecord(id: string, over: Partial<TaskRecord> = {}): TaskRecord {
  return {
    id,
    title: `title ${id}`,
    description: null,
    input: { z: 1, a: [1, 'two', { nested: true }] },
    requiredCapabilities: [],
    priority: 0,
    deadline: null,
    parentId: null,
    threadId: null,
    childFailurePolicy: 'fail_parent',
    project: 'p1',
    status: 'open',
    createdBy: 'creator',
    assignee: null,
    attempts: 0,
    maxAttempts: 3,
    leaseSeconds: 60,
    leaseExpiresAt: null,
    progress: null,
    progressNote: null,
    question: null,
    answer: null,
    result: null,
    artifacts: [],
    failureReason: null,
    createdAt: iso(T0),
    updatedAt: iso(T0),
    claimedAt: null,
    startedAt: null,
    finishedAt: null,
    version: 1,
    ...over,
  };
}
