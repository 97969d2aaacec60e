/**
 * The task state machine as pure decisions: each takes the current row (read inside the write
 * transaction) and returns the next one, or throws a HubError naming why the move is refused.
 *
 *   open → claimed → in_progress ⇄ input_required → completed | failed | cancelled
 *   claimed/in_progress → open again (lease ran out or retryable failure, attempts left)
 */
import { HubError } from '../../core/errors.js';
import type { TaskArtifact, TaskDecision, TaskRecord, TaskStatus } from '../../store/tasks.js';

export const TERMINAL: ReadonlySet<TaskStatus> = new Set(['completed', 'failed', 'cancelled']);
export const ACTIVE: ReadonlySet<TaskStatus> = new Set(['claimed', 'in_progress', 'input_required']);

const leaseEnd = (nowMs: number, t: TaskRecord) => new Date(nowMs + t.leaseSeconds * 1000).toISOString();
const iso = (ms: number) => new Date(ms).toISOString();

function notOpen(t: TaskRecord): HubError {
  if (ACTIVE.has(t.status)) {
    return new HubError('conflict', `Task ${t.id} was already claimed by ${t.assignee} (it is ${t.status})`, {
      details: { task_id: t.id, status: t.status, assignee: t.assignee },
    });
  }
  return new HubError('conflict', `Task ${t.id} is ${t.status} and cannot be claimed`, {
    details: { task_id: t.id, status: t.status, assignee: t.assignee },
  });
}

/** Only the holder may work on a task; everyone else is told who holds it. */
function requireHolder(t: TaskRecord, agentId: string, verb: string, allowed: TaskStatus[]): void {
  if (t.assignee !== agentId || !ACTIVE.has(t.status)) {
    if (TERMINAL.has(t.status) || t.status === 'open') {
      throw new HubError('conflict', `Task ${t.id} is ${t.status}; you cannot ${verb} it`, {
        details: { task_id: t.id, status: t.status, assignee: t.assignee },
      });
    }
    throw new HubError(
      'forbidden',
      `Task ${t.id} is held by ${t.assignee}; only the agent holding it may ${verb} it`,
      { details: { task_id: t.id, assignee: t.assignee } },
    );
  }
  if (!allowed.includes(t.status)) {
    throw new HubError('conflict', `Task ${t.id} is ${t.status}; you cannot ${verb} it now`, {
      details: { task_id: t.id, status: t.status },
    });
  }
}

export function claim(agentId: string, capabilities: string[], nowMs: number): TaskDecision {
  return (t) => {
    if (t.status !== 'open') throw notOpen(t);
    if (t.deadline && Date.parse(t.deadline) <= nowMs) {
      throw new HubError(
        'conflict',
        `Task ${t.id} missed its deadline (${t.deadline}) and can no longer be claimed`,
      );
    }
    const missing = t.requiredCapabilities.filter((c) => !capabilities.includes(c));
    if (missing.length) {
      throw new HubError('forbidden', `Task ${t.id} needs capabilities you lack: ${missing.join(', ')}`, {
        details: { task_id: t.id, missing },
      });
    }
    return {
      ...t,
      status: 'claimed',
      assignee: agentId,
      attempts: t.attempts + 1,
      leaseExpiresAt: leaseEnd(nowMs, t),
      claimedAt: iso(nowMs),
      startedAt: null,
      progress: null,
      progressNote: null,
      updatedAt: iso(nowMs),
    };
  };
}

export function update(agentId: string, nowMs: number, progress?: number, note?: string): TaskDecision {
  return (t) => {
    requireHolder(t, agentId, 'update', ['claimed', 'in_progress']);
    return {
      ...t,
      status: 'in_progress',
      startedAt: t.startedAt ?? iso(nowMs),
      progress: progress ?? t.progress,
      progressNote: note ?? t.progressNote,
      leaseExpiresAt: leaseEnd(nowMs, t),
      updatedAt: iso(nowMs),
    };
  };
}

export function complete(
  agentId: string,
  nowMs: number,
  result: unknown,
  artifacts: TaskArtifact[],
): TaskDecision {
  return (t) => {
    requireHolder(t, agentId, 'complete', ['claimed', 'in_progress']);
    return finish(t, nowMs, 'completed', {
      result: result ?? null,
      artifacts,
      progress: 100,
      startedAt: t.startedAt ?? iso(nowMs),
    });
  };
}

/** A worker gives up: back to open when retryable and attempts remain, else failed. */
export function fail(agentId: string, nowMs: number, reason: string, retryable: boolean): TaskDecision {
  return (t) => {
    requireHolder(t, agentId, 'fail', ['claimed', 'in_progress', 'input_required']);
    return retryable ? reopenOrFail(t, nowMs, reason) : finish(t, nowMs, 'failed', { failureReason: reason });
  };
}

/** The lease ran out: the holder loses the task. Unchanged when it was renewed meanwhile. */
export function expire(nowMs: number): TaskDecision {
  return (t) => {
    if (!(t.status === 'claimed' || t.status === 'in_progress')) return t;
    if (!t.leaseExpiresAt || Date.parse(t.leaseExpiresAt) >= nowMs) return t;
    return reopenOrFail(t, nowMs, `lease of ${t.assignee} ran out (no update within ${t.leaseSeconds}s)`);
  };
}

/**
 * The holder was retired: the task goes back to open at once (or fails when no attempts are left),
 * as if its lease had run out. Unchanged when someone else holds it now or it finished meanwhile.
 */
export function holderRetired(agentId: string, nowMs: number, reason: string): TaskDecision {
  return (t) => {
    if (t.assignee !== agentId) return t;
    if (!(t.status === 'claimed' || t.status === 'in_progress' || t.status === 'input_required')) return t;
    return reopenOrFail(t, nowMs, `${agentId} was retired (${reason})`);
  };
}

/** The deadline passed before the task finished: it fails. Unchanged when it finished meanwhile. */
export function overdue(nowMs: number): TaskDecision {
  return (t) => {
    if (TERMINAL.has(t.status) || !t.deadline || Date.parse(t.deadline) >= nowMs) return t;
    return finish(t, nowMs, 'failed', {
      failureReason: `deadline ${t.deadline} passed before the task finished`,
    });
  };
}

function reopenOrFail(t: TaskRecord, nowMs: number, reason: string): TaskRecord {
  if (t.attempts >= t.maxAttempts) {
    return finish(t, nowMs, 'failed', {
      failureReason: `${reason}; no attempts left (${t.attempts} of ${t.maxAttempts})`,
    });
  }
  return {
    ...t,
    status: 'open',
    assignee: null,
    leaseExpiresAt: null,
    failureReason: reason,
    question: null,
    updatedAt: iso(nowMs),
  };
}

export function requestInput(agentId: string, nowMs: number, question: string): TaskDecision {
  return (t) => {
    requireHolder(t, agentId, 'ask a question about', ['claimed', 'in_progress']);
    return {
      ...t,
      status: 'input_required',
      question,
      answer: null,
      startedAt: t.startedAt ?? iso(nowMs),
      leaseExpiresAt: null,
      updatedAt: iso(nowMs),
    };
  };
}

/** The creator (or the admin: agentId null) answers; the task resumes with a fresh lease. */
export function provideInput(agentId: string | null, nowMs: number, answer: unknown): TaskDecision {
  return (t) => {
    if (agentId !== null && t.createdBy !== agentId) {
      throw new HubError(
        'forbidden',
        `Only the creator of task ${t.id} (${t.createdBy}) may answer its question`,
      );
    }
    if (t.status !== 'input_required') {
      throw new HubError('conflict', `Task ${t.id} is ${t.status}; it is not waiting for input`, {
        details: { task_id: t.id, status: t.status },
      });
    }
    return { ...t, status: 'in_progress', answer, leaseExpiresAt: leaseEnd(nowMs, t), updatedAt: iso(nowMs) };
  };
}

/** The creator or the admin (agentId null) cancels; the tree code cascades to children. */
export function cancel(agentId: string | null, nowMs: number, reason: string | undefined): TaskDecision {
  return (t) => {
    if (agentId !== null && t.createdBy !== agentId) {
      throw new HubError(
        'forbidden',
        `Only the creator of task ${t.id} (${t.createdBy}) or the admin may cancel it`,
      );
    }
    if (TERMINAL.has(t.status)) {
      throw new HubError('conflict', `Task ${t.id} is already ${t.status}`, {
        details: { task_id: t.id, status: t.status },
      });
    }
    return finish(t, nowMs, 'cancelled', { failureReason: reason ?? null });
  };
}

/**
 * Hub-made moves (delegation trees): no holder check; unchanged when already finished, or when
 * `holder` is given and someone else holds the task now (it was decided for that holder).
 */
export function settle(
  nowMs: number,
  status: 'completed' | 'failed' | 'cancelled',
  fields: Partial<TaskRecord>,
  holder?: string | null,
): TaskDecision {
  return (t) => {
    if (TERMINAL.has(t.status)) return t;
    if (holder !== undefined && (ACTIVE.has(t.status) ? t.assignee : null) !== holder) return t;
    return finish(t, nowMs, status, fields);
  };
}

function finish(t: TaskRecord, nowMs: number, status: TaskStatus, fields: Partial<TaskRecord>): TaskRecord {
  return { ...t, ...fields, status, leaseExpiresAt: null, finishedAt: iso(nowMs), updatedAt: iso(nowMs) };
}
