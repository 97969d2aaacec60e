/** SQLite implementation of TaskStore. Reads run at once; writes go through the group-commit batcher. */
import type { Database, Statement } from 'better-sqlite3';
import { HubError } from '../../core/errors.js';
import type {
  AgentTaskStats,
  AttemptChange,
  TaskAttempt,
  ReopenedQuery,
  ReopenedTaskRow,
  TaskChange,
  TaskFilter,
  TaskRecord,
  TaskStore,
  TaskWrite,
} from '../tasks.js';
import type { WriteBatcher } from './batcher.js';
import { StatementCache } from './statements.js';
import {
  type AgentStatsRow,
  type AttemptRow,
  fromTaskRow,
  type TaskRow,
  taskParams,
  toAgentStats,
  toAttempt,
} from '../rows/tasks.js';

const COLUMNS = `id, title, description, input, required_capabilities, priority, deadline, parent_id,
  child_failure_policy, project, status, created_by, assignee, attempts, max_attempts, lease_seconds,
  lease_expires_at, progress, progress_note, question, answer, result, artifacts, failure_reason,
  created_at, updated_at, claimed_at, started_at, finished_at, version, thread_id`;

export class SqliteTaskStore implements TaskStore {
  private readonly insertRow: Statement;
  private readonly dynamic: StatementCache;
  private readonly updateRow: Statement;
  private readonly byId: Statement;
  private readonly childrenOf: Statement;
  private readonly openOf: Statement;
  private readonly expired: Statement;
  private readonly late: Statement;
  private readonly startAttempt: Statement;
  private readonly markStarted: Statement;
  private readonly endAttempt: Statement;

  constructor(
    readonly db: Database,
    readonly batcher: WriteBatcher,
  ) {
    this.dynamic = new StatementCache(db);
    const names = COLUMNS.split(',').map((c) => c.trim());
    this.insertRow = db.prepare(
      `INSERT INTO tasks (${COLUMNS}) VALUES (${names.map((n) => '@' + n).join(', ')})`,
    );
    this.updateRow = db.prepare(
      `UPDATE tasks SET ${names
        .filter((n) => n !== 'id')
        .map((n) => `${n} = @${n}`)
        .join(', ')} WHERE id = @id`,
    );
    this.byId = db.prepare('SELECT * FROM tasks WHERE id = ?');
    this.childrenOf = db.prepare('SELECT * FROM tasks WHERE parent_id = ? ORDER BY id');
    this.openOf = db.prepare(
      "SELECT * FROM tasks WHERE project = ? AND status = 'open' AND (deadline IS NULL OR deadline > ?) ORDER BY priority DESC, id LIMIT 500",
    );
    this.expired = db.prepare(
      "SELECT id FROM tasks WHERE status IN ('claimed', 'in_progress') AND lease_expires_at < ? ORDER BY lease_expires_at LIMIT ?",
    );
    this.late = db.prepare(
      `SELECT id FROM tasks WHERE status IN ('open', 'claimed', 'in_progress', 'input_required')
       AND deadline < ? ORDER BY deadline LIMIT ?`,
    );
    this.startAttempt = db.prepare(
      `INSERT OR REPLACE INTO task_attempts (task_id, attempt, agent_id, created_by, claimed_at, started_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
    this.markStarted = db.prepare(
      'UPDATE task_attempts SET started_at = ? WHERE task_id = ? AND attempt = ? AND started_at IS NULL',
    );
    this.endAttempt = db.prepare(
      'UPDATE task_attempts SET ended_at = ?, outcome = ? WHERE task_id = ? AND attempt = ? AND ended_at IS NULL',
    );
  }

  insert(change: TaskChange): Promise<TaskRecord> {
    return this.batcher.run(() => {
      this.insertRow.run(taskParams(change.task));
      this.recordAttempts(change.task, change.attempts);
      return change.task;
    });
  }

  async get(id: string): Promise<TaskRecord | undefined> {
    const row = this.byId.get(id) as TaskRow | undefined;
    return row && fromTaskRow(row);
  }

  async list(f: TaskFilter): Promise<TaskRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: string, ...values: unknown[]) => {
      where.push(clause);
      params.push(...values);
    };
    if (f.project !== undefined) add('project = ?', f.project);
    if (f.status?.length) add(`status IN (${f.status.map(() => '?').join(', ')})`, ...f.status);
    if (f.assignee !== undefined) add('assignee = ?', f.assignee);
    if (f.createdBy !== undefined) add('created_by = ?', f.createdBy);
    if (f.parentId !== undefined) add('parent_id = ?', f.parentId);
    if (f.threadId !== undefined) add('thread_id = ?', f.threadId);
    if (f.capability !== undefined)
      add('EXISTS (SELECT 1 FROM json_each(required_capabilities) WHERE value = ?)', f.capability);
    const sql = `SELECT * FROM tasks ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
      ORDER BY id DESC LIMIT (? + 0)`;
    return (this.dynamic.get(sql).all(...params, f.limit) as TaskRow[]).map(fromTaskRow);
  }

  async children(parentId: string): Promise<TaskRecord[]> {
    return (this.childrenOf.all(parentId) as TaskRow[]).map(fromTaskRow);
  }

  mutate(id: string, decide: TaskWrite): Promise<TaskRecord> {
    return this.batcher.run(() => {
      const row = this.byId.get(id) as TaskRow | undefined;
      if (!row) throw new HubError('not_found', `Task ${id} was not found`);
      return this.write(fromTaskRow(row), decide);
    });
  }

  claimNext(
    project: string,
    capabilities: string[],
    now: string,
    decide: TaskWrite,
  ): Promise<TaskRecord | undefined> {
    const have = new Set(capabilities);
    return this.batcher.run(() => {
      let found: TaskRecord | undefined;
      // stop reading at the first fit; the write runs once the cursor is closed
      for (const row of this.openOf.iterate(project, now) as IterableIterator<TaskRow>) {
        const task = fromTaskRow(row);
        if (task.requiredCapabilities.every((c) => have.has(c))) {
          found = task;
          break;
        }
      }
      return found && this.write(found, decide);
    });
  }

  private write(current: TaskRecord, decide: TaskWrite): TaskRecord {
    const change = decide(current);
    if (change.task === current) return current;
    const stored = { ...change.task, version: current.version + 1 };
    this.updateRow.run(taskParams(stored));
    this.recordAttempts(stored, change.attempts);
    return stored;
  }

  /**
   * The attempt history follows the task row in the same write: no second write path. Which
   * changes a write makes is the domain's rule (src/domain/tasks/attempts.ts).
   */
  private recordAttempts(task: TaskRecord, changes: AttemptChange[]): void {
    for (const c of changes) {
      if (c.kind === 'end') this.endAttempt.run(c.at, c.outcome, task.id, c.attempt);
      else if (c.kind === 'start') {
        this.startAttempt.run(task.id, c.attempt, c.agentId, c.createdBy, c.claimedAt, c.startedAt);
      } else this.markStarted.run(c.at, task.id, c.attempt);
    }
  }

  async expiredLeases(now: string, limit: number): Promise<string[]> {
    return (this.expired.all(now, limit) as Array<{ id: string }>).map((r) => r.id);
  }

  async overdue(now: string, limit: number): Promise<string[]> {
    return (this.late.all(now, limit) as Array<{ id: string }>).map((r) => r.id);
  }

  async activeCounts(agentIds: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>(agentIds.map((id) => [id, 0]));
    if (agentIds.length === 0) return out;
    const rows = this.db
      .prepare(
        `SELECT assignee, COUNT(*) AS n FROM tasks WHERE status IN ('claimed', 'in_progress', 'input_required')
         AND assignee IN (${agentIds.map(() => '?').join(', ')}) GROUP BY assignee`,
      )
      .all(...agentIds) as Array<{ assignee: string; n: number }>;
    for (const r of rows) out.set(r.assignee, r.n);
    return out;
  }

  async attempts(taskId: string): Promise<TaskAttempt[]> {
    const rows = this.db
      .prepare(
        `SELECT attempt, agent_id, claimed_at, started_at, ended_at, outcome FROM task_attempts
         WHERE task_id = ? ORDER BY attempt LIMIT 1000`,
      )
      .all(taskId) as AttemptRow[];
    return rows.map(toAttempt);
  }

  async stats(agentIds?: string[]): Promise<AgentTaskStats[]> {
    const filter = agentIds ? `WHERE agent_id IN (${agentIds.map(() => '?').join(', ')})` : '';
    const rows = this.db
      .prepare(
        `SELECT agent_id, COUNT(*) AS claimed,
           SUM(outcome = 'completed') AS completed, SUM(outcome = 'failed') AS failed,
           SUM(outcome = 'reopened') AS reopened,
           AVG(CASE WHEN outcome = 'completed'
             THEN (julianday(ended_at) - julianday(claimed_at)) * 86400.0 END) AS mean_seconds
         FROM task_attempts ${filter} GROUP BY agent_id ORDER BY agent_id`,
      )
      .all(...(agentIds ?? [])) as AgentStatsRow[];
    return rows.map(toAgentStats);
  }

  async reopened(q: ReopenedQuery): Promise<ReopenedTaskRow[]> {
    const where = ["a.outcome = 'reopened'"];
    const params: unknown[] = [];
    if (q.project !== undefined) {
      where.push('t.project = ?');
      params.push(q.project);
    }
    if (q.since !== undefined) {
      where.push('a.ended_at >= ?');
      params.push(q.since);
    }
    if (q.until !== undefined) {
      where.push('a.ended_at < ?');
      params.push(q.until);
    }
    const counted = this.db
      .prepare(
        `SELECT a.task_id, COUNT(*) AS reopens FROM task_attempts a JOIN tasks t ON t.id = a.task_id
         WHERE ${where.join(' AND ')} GROUP BY a.task_id HAVING COUNT(*) >= ?
         ORDER BY reopens DESC, a.task_id LIMIT ?`,
      )
      .all(...params, q.minReopens, q.limit) as Array<{ task_id: string; reopens: number }>;
    const holders = this.db.prepare(
      'SELECT agent_id FROM task_attempts WHERE task_id = ? GROUP BY agent_id ORDER BY MIN(attempt)',
    );
    const out: ReopenedTaskRow[] = [];
    for (const r of counted) {
      const task = await this.get(r.task_id);
      if (!task) continue;
      const agents = (holders.all(r.task_id) as Array<{ agent_id: string }>).map((h) => h.agent_id);
      out.push({ task, reopens: r.reopens, agents });
    }
    return out;
  }
}
