/**
 * The attempt-history rule, move by move: which writes open an attempt, which close it and with
 * which outcome, and which leave the history alone. Both stores write exactly what it returns.
 */
import { describe, expect, it } from 'vitest';
import type { TaskRecord } from '../../store/tasks.js';
import { attemptChanges, created, HELD, withAttempts } from './attempts.js';
import { claim, complete, expire, fail, holderRetired, requestInput, update } from './transitions.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

function open(over: Partial<TaskRecord> = {}): TaskRecord {
  return {
    id: 't1',
    title: 't1',
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
    createdBy: 'c',
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
    createdAt: iso(T0),
    updatedAt: iso(T0),
    claimedAt: null,
    startedAt: null,
    finishedAt: null,
    version: 1,
    ...over,
  };
}

describe('the attempt history', () => {
  it('counts claimed, in progress and waiting for input as held', () => {
    expect([...HELD].sort()).toEqual(['claimed', 'in_progress', 'input_required']);
  });

  it('writes nothing for a task created open, and opens attempt 1 for one created claimed', () => {
    expect(created(open()).attempts).toEqual([]);
    const claimed = claim('w', [], T0 + 1000)(open());
    expect(created(claimed).attempts).toEqual([
      { kind: 'start', attempt: 1, agentId: 'w', createdBy: 'c', claimedAt: iso(T0 + 1000), startedAt: null },
    ]);
  });

  it('opens an attempt on a claim and records when work on it started', () => {
    const claimed = claim('w', [], T0 + 1000)(open());
    expect(attemptChanges(open(), claimed)).toEqual([
      { kind: 'start', attempt: 1, agentId: 'w', createdBy: 'c', claimedAt: iso(T0 + 1000), startedAt: null },
    ]);
    const working = update('w', T0 + 2000, 0.5)(claimed);
    expect(attemptChanges(claimed, working)).toEqual([{ kind: 'started', attempt: 1, at: iso(T0 + 2000) }]);
    // more progress on the same attempt: the start stays as it was
    expect(attemptChanges(working, update('w', T0 + 3000, 0.7)(working))).toEqual([]);
  });

  it('ends the attempt with the finishing status', () => {
    const working = update('w', T0 + 2000, 0.5)(claim('w', [], T0 + 1000)(open()));
    expect(attemptChanges(working, complete('w', T0 + 5000, { ok: true }, [])(working))).toEqual([
      { kind: 'end', attempt: 1, outcome: 'completed', at: iso(T0 + 5000) },
    ]);
    expect(attemptChanges(working, fail('w', T0 + 5000, 'broke', false)(working))).toEqual([
      { kind: 'end', attempt: 1, outcome: 'failed', at: iso(T0 + 5000) },
    ]);
  });

  it('ends the attempt as reopened when the task goes back to the queue, and a new claim opens the next', () => {
    const claimed = claim('w', [], T0 + 1000)(open());
    const lapsed = expire(T0 + 400_000)(claimed);
    expect(lapsed.status).toBe('open');
    expect(attemptChanges(claimed, lapsed)).toEqual([
      { kind: 'end', attempt: 1, outcome: 'reopened', at: iso(T0 + 400_000) },
    ]);
    const retired = holderRetired('w', T0 + 2000, 'retired')(claimed);
    expect(attemptChanges(claimed, retired)).toEqual([
      { kind: 'end', attempt: 1, outcome: 'reopened', at: iso(T0 + 2000) },
    ]);
    const again = claim('v', [], T0 + 500_000)(lapsed);
    expect(attemptChanges(lapsed, again)).toEqual([
      {
        kind: 'start',
        attempt: 2,
        agentId: 'v',
        createdBy: 'c',
        claimedAt: iso(T0 + 500_000),
        startedAt: null,
      },
    ]);
  });

  it('ends a held attempt as reopened when a new claim replaces it without passing through open', () => {
    const first = claim('w', [], T0 + 1000)(open());
    const second = {
      ...first,
      attempts: 2,
      assignee: 'v',
      claimedAt: iso(T0 + 2000),
      updatedAt: iso(T0 + 2000),
    };
    expect(attemptChanges(first, second)).toEqual([
      { kind: 'end', attempt: 1, outcome: 'reopened', at: iso(T0 + 2000) },
      { kind: 'start', attempt: 2, agentId: 'v', createdBy: 'c', claimedAt: iso(T0 + 2000), startedAt: null },
    ]);
  });

  it('keeps the attempt running while the holder waits for input', () => {
    const working = update('w', T0 + 2000, 0.5)(claim('w', [], T0 + 1000)(open()));
    expect(attemptChanges(working, requestInput('w', T0 + 3000, 'tone?')(working))).toEqual([]);
  });

  it('writes no history for a decision that changes nothing', () => {
    const claimed = claim('w', [], T0 + 1000)(open());
    const change = withAttempts(expire(T0 + 2000))(claimed);
    expect(change.task).toBe(claimed);
    expect(change.attempts).toEqual([]);
    expect(withAttempts(claim('w', [], T0 + 1000))(open()).attempts).toHaveLength(1);
  });
});
