/**
 * The task state machine, move by move: every operation from every status (the next status, or the
 * exact refusal a caller sees), then what each legal move writes (leases, attempts, reasons) and
 * the hub-made moves (lease expiry, retirement, deadlines, tree settling).
 */
import { describe, expect, it } from 'vitest';
import { HubError } from '../../core/errors.js';
import type { TaskDecision, TaskRecord, TaskStatus } from '../../store/tasks.js';
import {
  cancel,
  claim,
  complete,
  expire,
  fail,
  holderRetired,
  overdue,
  provideInput,
  requestInput,
  settle,
  update,
} from './transitions.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

/** Task t1, created by c; when active or finished, held (or last held) by w. */
function task(over: Partial<TaskRecord> = {}): TaskRecord {
  const status = over.status ?? 'open';
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
    status,
    createdBy: 'c',
    assignee: status === 'open' ? null : 'w',
    attempts: status === 'open' ? 0 : 1,
    maxAttempts: 3,
    leaseSeconds: 300,
    leaseExpiresAt: ['claimed', 'in_progress'].includes(status) ? iso(T0 + 300_000) : null,
    progress: null,
    progressNote: null,
    question: status === 'input_required' ? 'tone?' : null,
    answer: null,
    result: null,
    artifacts: [],
    failureReason: null,
    createdAt: iso(T0),
    updatedAt: iso(T0),
    claimedAt: status === 'open' ? null : iso(T0),
    startedAt: null,
    finishedAt: null,
    version: 1,
    ...over,
  };
}

/** The next status, or `code: message` of the refusal. */
function outcome(decide: TaskDecision, t: TaskRecord): string {
  try {
    return decide(t).status;
  } catch (err) {
    if (!(err instanceof HubError)) throw err;
    return `${err.code}: ${err.message}`;
  }
}

function refusal(decide: TaskDecision, t: TaskRecord): HubError {
  try {
    decide(t);
  } catch (err) {
    if (err instanceof HubError) return err;
    throw err;
  }
  throw new Error('the move was not refused');
}

const now = T0 + 60_000;
const moves: Record<string, TaskDecision> = {
  'claim by x': claim('x', [], now),
  'update by w': update('w', now, 10),
  'complete by w': complete('w', now, { ok: true }, []),
  'fail by w': fail('w', now, 'broken', false),
  'request_input by w': requestInput('w', now, 'which?'),
  'provide_input by c': provideInput('c', now, 'this'),
  'cancel by c': cancel('c', now, 'not needed'),
};

/** What each move does from each status, exactly as the caller is told. */
const table: Record<TaskStatus, Record<string, string>> = {
  open: {
    'claim by x': 'claimed',
    'update by w': 'conflict: Task t1 is open; you cannot update it',
    'complete by w': 'conflict: Task t1 is open; you cannot complete it',
    'fail by w': 'conflict: Task t1 is open; you cannot fail it',
    'request_input by w': 'conflict: Task t1 is open; you cannot ask a question about it',
    'provide_input by c': 'conflict: Task t1 is open; it is not waiting for input',
    'cancel by c': 'cancelled',
  },
  claimed: {
    'claim by x': 'conflict: Task t1 was already claimed by w (it is claimed)',
    'update by w': 'in_progress',
    'complete by w': 'completed',
    'fail by w': 'failed',
    'request_input by w': 'input_required',
    'provide_input by c': 'conflict: Task t1 is claimed; it is not waiting for input',
    'cancel by c': 'cancelled',
  },
  in_progress: {
    'claim by x': 'conflict: Task t1 was already claimed by w (it is in_progress)',
    'update by w': 'in_progress',
    'complete by w': 'completed',
    'fail by w': 'failed',
    'request_input by w': 'input_required',
    'provide_input by c': 'conflict: Task t1 is in_progress; it is not waiting for input',
    'cancel by c': 'cancelled',
  },
  input_required: {
    'claim by x': 'conflict: Task t1 was already claimed by w (it is input_required)',
    'update by w': 'conflict: Task t1 is input_required; you cannot update it now',
    'complete by w': 'conflict: Task t1 is input_required; you cannot complete it now',
    'fail by w': 'failed',
    'request_input by w': 'conflict: Task t1 is input_required; you cannot ask a question about it now',
    'provide_input by c': 'in_progress',
    'cancel by c': 'cancelled',
  },
  completed: {
    'claim by x': 'conflict: Task t1 is completed and cannot be claimed',
    'update by w': 'conflict: Task t1 is completed; you cannot update it',
    'complete by w': 'conflict: Task t1 is completed; you cannot complete it',
    'fail by w': 'conflict: Task t1 is completed; you cannot fail it',
    'request_input by w': 'conflict: Task t1 is completed; you cannot ask a question about it',
    'provide_input by c': 'conflict: Task t1 is completed; it is not waiting for input',
    'cancel by c': 'conflict: Task t1 is already completed',
  },
  failed: {
    'claim by x': 'conflict: Task t1 is failed and cannot be claimed',
    'update by w': 'conflict: Task t1 is failed; you cannot update it',
    'complete by w': 'conflict: Task t1 is failed; you cannot complete it',
    'fail by w': 'conflict: Task t1 is failed; you cannot fail it',
    'request_input by w': 'conflict: Task t1 is failed; you cannot ask a question about it',
    'provide_input by c': 'conflict: Task t1 is failed; it is not waiting for input',
    'cancel by c': 'conflict: Task t1 is already failed',
  },
  cancelled: {
    'claim by x': 'conflict: Task t1 is cancelled and cannot be claimed',
    'update by w': 'conflict: Task t1 is cancelled; you cannot update it',
    'complete by w': 'conflict: Task t1 is cancelled; you cannot complete it',
    'fail by w': 'conflict: Task t1 is cancelled; you cannot fail it',
    'request_input by w': 'conflict: Task t1 is cancelled; you cannot ask a question about it',
    'provide_input by c': 'conflict: Task t1 is cancelled; it is not waiting for input',
    'cancel by c': 'conflict: Task t1 is already cancelled',
  },
};

describe('every move from every status', () => {
  const cases = Object.entries(table).flatMap(([status, row]) =>
    Object.entries(row).map(([move, expected]) => ({ status: status as TaskStatus, move, expected })),
  );
  it.each(cases)('$move from $status → $expected', ({ status, move, expected }) => {
    expect(outcome(moves[move]!, task({ status }))).toBe(expected);
  });

  it('covers every move in every row', () => {
    for (const row of Object.values(table))
      expect(Object.keys(row).sort()).toEqual(Object.keys(moves).sort());
  });
});

describe('who may move a task', () => {
  it.each(['update', 'complete', 'fail'] as const)(
    'refuses %s by an agent that does not hold it, naming the holder',
    (verb) => {
      const decide =
        verb === 'update'
          ? update('x', now)
          : verb === 'complete'
            ? complete('x', now, null, [])
            : fail('x', now, 'no', true);
      const err = refusal(decide, task({ status: 'in_progress' }));
      expect(err.code).toBe('forbidden');
      expect(err.message).toBe(`Task t1 is held by w; only the agent holding it may ${verb} it`);
      expect(err.details).toEqual({ task_id: 't1', assignee: 'w' });
    },
  );

  it('lets only the creator or the admin answer and cancel', () => {
    const waiting = task({ status: 'input_required' });
    expect(outcome(provideInput('x', now, 'a'), waiting)).toBe(
      'forbidden: Only the creator of task t1 (c) may answer its question',
    );
    expect(outcome(provideInput(null, now, 'a'), waiting)).toBe('in_progress');
    expect(outcome(cancel('x', now, undefined), waiting)).toBe(
      'forbidden: Only the creator of task t1 (c) or the admin may cancel it',
    );
    expect(outcome(cancel(null, now, undefined), waiting)).toBe('cancelled');
  });

  it('names the capabilities a claimer lacks, and only those', () => {
    const t = task({ requiredCapabilities: ['docs', 'rust', 'review'] });
    const err = refusal(claim('x', ['rust'], now), t);
    expect(err.code).toBe('forbidden');
    expect(err.message).toBe('Task t1 needs capabilities you lack: docs, review');
    expect(err.details).toEqual({ task_id: 't1', missing: ['docs', 'review'] });
    expect(outcome(claim('x', ['review', 'docs', 'rust', 'extra'], now), t)).toBe('claimed');
  });

  it('refuses a claim at or after the deadline, naming it', () => {
    const deadline = iso(now);
    expect(outcome(claim('x', [], now), task({ deadline }))).toBe(
      `conflict: Task t1 missed its deadline (${deadline}) and can no longer be claimed`,
    );
    expect(outcome(claim('x', [], now - 1), task({ deadline }))).toBe('claimed');
  });
});

describe('what a legal move writes', () => {
  it('claim: the claimer holds it, one more attempt, a fresh lease, progress cleared', () => {
    const next = claim('x', [], now)(task({ attempts: 1, progress: 40, progressNote: 'old' }));
    expect(next).toMatchObject({
      status: 'claimed',
      assignee: 'x',
      attempts: 2,
      leaseExpiresAt: iso(now + 300_000),
      claimedAt: iso(now),
      startedAt: null,
      progress: null,
      progressNote: null,
      updatedAt: iso(now),
    });
  });

  it('update: starts the work once, keeps progress and note when left out, renews the lease', () => {
    const first = update('w', now, 30, 'reading')(task({ status: 'claimed' }));
    expect(first).toMatchObject({
      status: 'in_progress',
      startedAt: iso(now),
      progress: 30,
      progressNote: 'reading',
      leaseExpiresAt: iso(now + 300_000),
    });
    const later = now + 100_000;
    const second = update('w', later)(first);
    expect(second).toMatchObject({
      startedAt: iso(now),
      progress: 30,
      progressNote: 'reading',
      leaseExpiresAt: iso(later + 300_000),
      updatedAt: iso(later),
    });
  });

  it('complete: the result and artifacts, progress 100, finished, no lease', () => {
    const next = complete('w', now, { words: 900 }, [{ name: 'README.md' }])(task({ status: 'claimed' }));
    expect(next).toMatchObject({
      status: 'completed',
      result: { words: 900 },
      artifacts: [{ name: 'README.md' }],
      progress: 100,
      startedAt: iso(now),
      leaseExpiresAt: null,
      finishedAt: iso(now),
    });
    expect(complete('w', now, undefined, [])(task({ status: 'claimed' })).result).toBeNull();
  });

  it('fail: retryable goes back to open while attempts remain, then fails saying so', () => {
    const reopened = fail('w', now, 'flaky network', true)(task({ status: 'in_progress', attempts: 2 }));
    expect(reopened).toMatchObject({
      status: 'open',
      assignee: null,
      leaseExpiresAt: null,
      failureReason: 'flaky network',
      finishedAt: null,
    });
    const last = fail('w', now, 'flaky network', true)(task({ status: 'in_progress', attempts: 3 }));
    expect(last).toMatchObject({
      status: 'failed',
      failureReason: 'flaky network; no attempts left (3 of 3)',
      finishedAt: iso(now),
    });
    const final = fail('w', now, 'bad input', false)(task({ status: 'in_progress', attempts: 1 }));
    expect(final).toMatchObject({ status: 'failed', failureReason: 'bad input' });
  });

  it('request_input stops the lease; provide_input resumes with the answer and a fresh lease', () => {
    const asked = requestInput('w', now, 'tone?')(task({ status: 'in_progress', answer: 'stale' }));
    expect(asked).toMatchObject({
      status: 'input_required',
      question: 'tone?',
      answer: null,
      leaseExpiresAt: null,
    });
    const later = now + 5_000;
    const answered = provideInput('c', later, { tone: 'friendly' })(asked);
    expect(answered).toMatchObject({
      status: 'in_progress',
      answer: { tone: 'friendly' },
      leaseExpiresAt: iso(later + 300_000),
    });
  });

  it('cancel keeps the reason, or none', () => {
    expect(cancel('c', now, 'dup')(task()).failureReason).toBe('dup');
    expect(cancel('c', now, undefined)(task()).failureReason).toBeNull();
  });
});

describe('hub-made moves', () => {
  const leased = task({ status: 'in_progress', leaseExpiresAt: iso(now) });

  it('expire: nothing before or at the lease end; after it the holder loses the task', () => {
    expect(expire(now)(leased)).toBe(leased);
    expect(expire(now + 1)(leased)).toMatchObject({
      status: 'open',
      assignee: null,
      failureReason: 'lease of w ran out (no update within 300s)',
    });
    expect(expire(now + 1)({ ...leased, attempts: 3 })).toMatchObject({
      status: 'failed',
      failureReason: 'lease of w ran out (no update within 300s); no attempts left (3 of 3)',
    });
    const waiting = task({ status: 'input_required' });
    expect(expire(now + 1_000_000)(waiting)).toBe(waiting);
  });

  it('holder retired: reopens what it held (even waiting for input), leaves others alone', () => {
    const waiting = task({ status: 'input_required' });
    expect(holderRetired('w', now, 'stopped')(waiting)).toMatchObject({
      status: 'open',
      assignee: null,
      question: null,
      failureReason: 'w was retired (stopped)',
    });
    expect(holderRetired('x', now, 'stopped')(waiting)).toBe(waiting);
    const done = task({ status: 'completed' });
    expect(holderRetired('w', now, 'stopped')(done)).toBe(done);
  });

  it('overdue: fails a task whose deadline passed, unless it finished or has none', () => {
    const deadline = iso(now);
    const open = task({ deadline });
    expect(overdue(now)(open)).toBe(open);
    expect(overdue(now + 1)(open)).toMatchObject({
      status: 'failed',
      failureReason: `deadline ${deadline} passed before the task finished`,
      finishedAt: iso(now + 1),
    });
    const done = task({ status: 'completed', deadline });
    expect(overdue(now + 1)(done)).toBe(done);
    const none = task();
    expect(overdue(now + 1)(none)).toBe(none);
  });

  it('settle: finishes unless finished, or unless decided for another holder', () => {
    const held = task({ status: 'in_progress' });
    expect(settle(now, 'failed', { failureReason: 'child failed' })(held)).toMatchObject({
      status: 'failed',
      failureReason: 'child failed',
      leaseExpiresAt: null,
    });
    expect(settle(now, 'completed', {}, 'x')(held)).toBe(held);
    expect(settle(now, 'completed', {}, 'w')(held).status).toBe('completed');
    // An open task has no holder: a decision for "no holder" applies to it.
    expect(settle(now, 'cancelled', {}, null)(task()).status).toBe('cancelled');
    const done = task({ status: 'completed' });
    expect(settle(now, 'failed', {})(done)).toBe(done);
  });
});
