/**
 * PostgreSQL implementation of TaskStore. Several nodes write the same tasks, so every write locks
 * the task's row (`SELECT … FOR NO KEY UPDATE`) before it decides: the decision always sees the
 * committed row and at most one of any number of racing claims finds the task still open. The
 * attempt history is written in the same transaction, exactly as the domain decided it
 * (src/domain/tasks/attempts.ts).
 */
import { HubError } from '../../core/errors.js';
import {
  type AgentStatsRow,
  type AttemptRow,
  fromTaskRow,
  type TaskRow,
  taskParams,
  toAgentStats,
  toAttempt,
} from '../rows/tasks.js';
import type {
  AgentTaskStats,
  AttemptChange,
  ReopenedQuery,
  ReopenedTaskRow,
  TaskAttempt,
  TaskChange,
  TaskFilter,
  TaskRecord,
  TaskStore,
  TaskWrite,
} from '../tasks.js';
import type { PgDatabase, Queryable } from './database.js';

/** Both stores share the row shape (src/store/rows/tasks.ts), so they return equal records. */
const NAMES = [
  'id',
  'title',
  'description',
  'input',
  'required_capabilities',
  'priority',
  'deadline',
  'parent_id',
  'child_failure_policy',
  'project',
  'status',
  'created_by',
  'assignee',
  'attempts',
  'max_attempts',
  'lease_seconds',
  'lease_expires_at',
  'progress',
  'progress_note',
  'question',
  'answer',
  'result',
  'artifacts',
  'failure_reason',
  'created_at',
  'updated_at',
  'claimed_at',
  'started_at',
  'finished_at',
  'version',
  'thread_id',
] as const;

const INSERT = `INSERT INTO tasks (${NAMES.join(', ')}) VALUES (${NAMES.map((_, i) => `$${i + 1}`).join(', ')})`;
const UPDATE = `UPDATE tasks SET ${NAMES.slice(1)
  .map((n, i) => `${n} = $${i + 2}`)
  .join(', ')} WHERE id = $1`;
const HELD_SQL = "('claimed', 'in_progress', 'input_required')";

const values = (t: TaskRecord): unknown[] => {
  const row = taskParams(t);
  return NAMES.map((n) => row[n]);
};

export class PgTaskStore implements TaskStore {
  constructor(readonly db: PgDatabase) {}

  insert(change: TaskChange): Promise<TaskRecord> {
    return this.db.tx(async (c) => {
      await c.query(INSERT, values(change.task));
      await recordAttempts(c, change.task, change.attempts);
      return change.task;
    });
  }

  async get(id: string): Promise<TaskRecord | undefined> {
    const [row] = await this.db.query<TaskRow>('SELECT * FROM tasks WHERE id = $1', [id]);
    return row && fromTaskRow(row);
  }

  async list(f: TaskFilter): Promise<TaskRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: (p: string) => string, value: unknown) => {
      params.push(value);
      where.push(clause(`$${params.length}`));
    };
    if (f.project !== undefined) add((p) => `project = ${p}`, f.project);
    if (f.status?.length) add((p) => `status = ANY(${p}::text[])`, f.status);
    if (f.assignee !== undefined) add((p) => `assignee = ${p}`, f.assignee);
    if (f.createdBy !== undefined) add((p) => `created_by = ${p}`, f.createdBy);
    if (f.parentId !== undefined) add((p) => `parent_id = ${p}`, f.parentId);
    if (f.threadId !== undefined) add((p) => `thread_id = ${p}`, f.threadId);
    if (f.capability !== undefined) add((p) => `required_capabilities::jsonb ? ${p}`, f.capability);
    params.push(f.limit);
    const sql = `SELECT * FROM tasks ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
      ORDER BY id DESC LIMIT $${params.length}`;
    return (await this.db.query<TaskRow>(sql, params)).map(fromTaskRow);
  }

  async children(parentId: string): Promise<TaskRecord[]> {
    const rows = await this.db.query<TaskRow>('SELECT * FROM tasks WHERE parent_id = $1 ORDER BY id', [
      parentId,
    ]);
    return rows.map(fromTaskRow);
  }

  mutate(id: string, decide: TaskWrite): Promise<TaskRecord> {
    return this.db.tx(async (c) => {
      // Exactness across nodes: the row lock makes racing writes to one task take turns, and each
      // decides from the row the previous one committed (read committed re-reads after the wait).
      // NO KEY UPDATE: writers still queue, but a child's insert (its foreign key takes KEY SHARE on
      // the parent) need not wait for a write to the parent.
      const { rows } = await c.query<TaskRow>('SELECT * FROM tasks WHERE id = $1 FOR NO KEY UPDATE', [id]);
      if (!rows[0]) throw new HubError('not_found', `Task ${id} was not found`);
      return write(c, fromTaskRow(rows[0]), decide);
    });
  }

  claimNext(
    project: string,
    capabilities: string[],
    now: string,
    decide: TaskWrite,
  ): Promise<TaskRecord | undefined> {
    return this.db.tx(async (c) => {
      // Exactness across nodes: FOR NO KEY UPDATE SKIP LOCKED hands each concurrent claimer a different open
      // task (a row another node is claiming is skipped, not waited for), and the lock is re-checked
      // against `status = 'open'` on the committed row, so a task is never claimed twice.
      const { rows } = await c.query<TaskRow>(
        `SELECT * FROM tasks WHERE project = $1 AND status = 'open'
           AND (deadline IS NULL OR deadline > $2::timestamptz)
           AND required_capabilities::jsonb <@ $3::jsonb
         ORDER BY priority DESC, id LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED`,
        [project, now, JSON.stringify(capabilities)],
      );
      return rows[0] && write(c, fromTaskRow(rows[0]), decide);
    });
  }

  async expiredLeases(now: string, limit: number): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>(
      `SELECT id FROM tasks WHERE status IN ('claimed', 'in_progress') AND lease_expires_at < $1::timestamptz
       ORDER BY lease_expires_at, id LIMIT $2`,
      [now, limit],
    );
    return rows.map((r) => r.id);
  }

  async overdue(now: string, limit: number): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>(
      `SELECT id FROM tasks WHERE status IN ('open', 'claimed', 'in_progress', 'input_required')
       AND deadline < $1::timestamptz ORDER BY deadline, id LIMIT $2`,
      [now, limit],
    );
    return rows.map((r) => r.id);
  }

  async activeCounts(agentIds: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>(agentIds.map((id) => [id, 0]));
    if (agentIds.length === 0) return out;
    const rows = await this.db.query<{ assignee: string; n: number }>(
      `SELECT assignee, COUNT(*) AS n FROM tasks WHERE status IN ${HELD_SQL}
       AND assignee = ANY($1::text[]) GROUP BY assignee`,
      [agentIds],
    );
    for (const r of rows) out.set(r.assignee, r.n);
    return out;
  }

  async attempts(taskId: string): Promise<TaskAttempt[]> {
    const rows = await this.db.query<AttemptRow>(
      `SELECT attempt, agent_id, claimed_at, started_at, ended_at, outcome FROM task_attempts
       WHERE task_id = $1 ORDER BY attempt LIMIT 1000`,
      [taskId],
    );
    return rows.map(toAttempt);
  }

  async stats(agentIds?: string[]): Promise<AgentTaskStats[]> {
    const rows = await this.db.query<AgentStatsRow>(
      `SELECT agent_id, COUNT(*) AS claimed,
         COUNT(*) FILTER (WHERE outcome = 'completed') AS completed,
         COUNT(*) FILTER (WHERE outcome = 'failed') AS failed,
         COUNT(*) FILTER (WHERE outcome = 'reopened') AS reopened,
         AVG(EXTRACT(EPOCH FROM ended_at - claimed_at)) FILTER (WHERE outcome = 'completed') AS mean_seconds
       FROM task_attempts ${agentIds ? 'WHERE agent_id = ANY($1::text[])' : ''}
       GROUP BY agent_id ORDER BY agent_id`,
      agentIds ? [agentIds] : [],
    );
    return rows.map(toAgentStats);
  }

  async reopened(q: ReopenedQuery): Promise<ReopenedTaskRow[]> {
    const where = ["a.outcome = 'reopened'"];
    const params: unknown[] = [];
    const add = (clause: (p: string) => string, value: unknown) => {
      params.push(value);
      where.push(clause(`$${params.length}`));
    };
    if (q.project !== undefined) add((p) => `t.project = ${p}`, q.project);
    if (q.since !== undefined) add((p) => `a.ended_at >= ${p}::timestamptz`, q.since);
    if (q.until !== undefined) add((p) => `a.ended_at < ${p}::timestamptz`, q.until);
    params.push(q.minReopens, q.limit);
    const counted = await this.db.query<{ task_id: string; reopens: number }>(
      `SELECT a.task_id, COUNT(*) AS reopens FROM task_attempts a JOIN tasks t ON t.id = a.task_id
       WHERE ${where.join(' AND ')} GROUP BY a.task_id HAVING COUNT(*) >= $${params.length - 1}
       ORDER BY reopens DESC, a.task_id LIMIT $${params.length}`,
      params,
    );
    const out: ReopenedTaskRow[] = [];
    for (const r of counted) {
      const task = await this.get(r.task_id);
      if (!task) continue;
      const holders = await this.db.query<{ agent_id: string }>(
        'SELECT agent_id FROM task_attempts WHERE task_id = $1 GROUP BY agent_id ORDER BY MIN(attempt)',
        [r.task_id],
      );
      out.push({ task, reopens: r.reopens, agents: holders.map((h) => h.agent_id) });
    }
    return out;
  }
}

/** Decides and writes one change to a locked row; the version is the store's counter (+1 per write). */
async function write(c: Queryable, current: TaskRecord, decide: TaskWrite): Promise<TaskRecord> {
  const change = decide(current);
  if (change.task === current) return current;
  const stored = { ...change.task, version: current.version + 1 };
  await c.query(UPDATE, values(stored));
  await recordAttempts(c, stored, change.attempts);
  return stored;
}

/** The attempt history, in the task row's transaction, as the domain decided it. */
async function recordAttempts(c: Queryable, task: TaskRecord, changes: AttemptChange[]): Promise<void> {
  for (const a of changes) {
    if (a.kind === 'end') {
      await c.query(
        `UPDATE task_attempts SET ended_at = $1, outcome = $2
         WHERE task_id = $3 AND attempt = $4 AND ended_at IS NULL`,
        [a.at, a.outcome, task.id, a.attempt],
      );
    } else if (a.kind === 'start') {
      await c.query(
        `INSERT INTO task_attempts (task_id, attempt, agent_id, created_by, claimed_at, started_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (task_id, attempt) DO UPDATE SET agent_id = excluded.agent_id,
           created_by = excluded.created_by, claimed_at = excluded.claimed_at,
           started_at = excluded.started_at, ended_at = NULL, outcome = NULL`,
        [task.id, a.attempt, a.agentId, a.createdBy, a.claimedAt, a.startedAt],
      );
    } else {
      await c.query(
        'UPDATE task_attempts SET started_at = $1 WHERE task_id = $2 AND attempt = $3 AND started_at IS NULL',
        [a.at, task.id, a.attempt],
      );
    }
  }
}
