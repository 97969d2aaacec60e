/** SQLite implementation of WorkflowStore. Reads run at once; writes go through the group-commit batcher. */
import type { Database } from 'better-sqlite3';
import type { RunEnd, RunStatus, StoredRun, StoredStep, WorkflowStore } from '../workflows.js';
import type { WriteBatcher } from './batcher.js';
import { json, runParams, type RunRow, runOf, type StepRow, stepOf } from '../rows/workflows.js';

export class SqliteWorkflowStore implements WorkflowStore {
  constructor(
    readonly db: Database,
    readonly batcher: WriteBatcher,
  ) {}

  createRun(run: StoredRun, steps: StoredStep[]): Promise<void> {
    return this.batcher.run(() => {
      this.db
        .prepare(
          `INSERT INTO workflow_runs (id, name, definition, inputs, status, started_by, agent_id,
             correlation_id, output, error, created_at, updated_at, finished_at, node_id, lease_expires_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(...runParams(run));
      const insert = this.db.prepare(
        `INSERT INTO workflow_steps (run_id, step_id, position, parent, call, status, attempts, output,
           error, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const s of steps) {
        insert.run(
          s.runId,
          s.stepId,
          s.position,
          s.parent,
          s.call,
          s.status,
          s.attempts,
          json(s.output),
          s.error,
          s.startedAt,
          s.finishedAt,
        );
      }
    });
  }

  updateStep(s: StoredStep, at: string, owner?: string): Promise<boolean> {
    return this.batcher.run(() => {
      const touched = this.db
        .prepare(
          `UPDATE workflow_runs SET updated_at = ? WHERE id = ? AND status = 'running'
           AND (? IS NULL OR node_id = ?)`,
        )
        .run(at, s.runId, owner ?? null, owner ?? null).changes;
      if (touched !== 1) return false;
      this.db
        .prepare(
          `UPDATE workflow_steps SET status = ?, attempts = ?, output = ?, error = ?, started_at = ?,
             finished_at = ? WHERE run_id = ? AND step_id = ?`,
        )
        .run(s.status, s.attempts, json(s.output), s.error, s.startedAt, s.finishedAt, s.runId, s.stepId);
      return true;
    });
  }

  finishRun(id: string, end: RunEnd, owner?: string): Promise<boolean> {
    return this.batcher.run(() => {
      const changed = this.db
        .prepare(
          `UPDATE workflow_runs SET status = ?, output = ?, error = ?, updated_at = ?, finished_at = ?
           WHERE id = ? AND status = 'running' AND (? IS NULL OR node_id = ?)`,
        )
        .run(
          end.status,
          json(end.output),
          end.error,
          end.at,
          end.at,
          id,
          owner ?? null,
          owner ?? null,
        ).changes;
      if (changed !== 1) return false;
      if (end.cancelSteps?.length) {
        this.db
          .prepare(
            `UPDATE workflow_steps SET status = 'cancelled', finished_at = ?
             WHERE run_id = ? AND status IN (SELECT value FROM json_each(?))`,
          )
          .run(end.at, id, JSON.stringify(end.cancelSteps));
      }
      return true;
    });
  }

  /** One writer: the claim and the read of what it claimed are one batched write, nothing slips between. */
  claimRuns(owner: string, leaseExpiresAt: string | null, expiredBefore?: string): Promise<StoredRun[]> {
    return this.batcher.run(() => {
      const rows = this.db
        .prepare(
          `UPDATE workflow_runs SET node_id = ?, lease_expires_at = ?
           WHERE status = 'running' AND (? IS NULL OR node_id = ? OR node_id IS NULL
             OR lease_expires_at IS NULL OR lease_expires_at < ?)
           RETURNING *`,
        )
        .all(owner, leaseExpiresAt, expiredBefore ?? null, owner, expiredBefore ?? null) as RunRow[];
      return rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map(runOf);
    });
  }

  renewLeases(owner: string, ids: readonly string[], leaseExpiresAt: string): Promise<string[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.batcher.run(() => {
      const rows = this.db
        .prepare(
          `UPDATE workflow_runs SET lease_expires_at = ?
           WHERE node_id = ? AND status = 'running' AND id IN (SELECT value FROM json_each(?))
           RETURNING id`,
        )
        .all(leaseExpiresAt, owner, JSON.stringify(ids)) as Array<{ id: string }>;
      return rows.map((r) => r.id).sort();
    });
  }

  async getRun(id: string): Promise<StoredRun | undefined> {
    const row = this.db.prepare('SELECT * FROM workflow_runs WHERE id = ?').get(id) as RunRow | undefined;
    return row ? runOf(row) : undefined;
  }

  async getSteps(runId: string): Promise<StoredStep[]> {
    const rows = this.db
      .prepare('SELECT * FROM workflow_steps WHERE run_id = ? ORDER BY position')
      .all(runId) as StepRow[];
    return rows.map(stepOf);
  }

  async listRuns(filter: { agentId?: string; status?: RunStatus; limit: number }): Promise<StoredRun[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.agentId !== undefined) {
      where.push('agent_id = ?');
      args.push(filter.agentId);
    }
    if (filter.status !== undefined) {
      where.push('status = ?');
      args.push(filter.status);
    }
    const sql = `SELECT * FROM workflow_runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    const rows = this.db.prepare(sql).all(...args, filter.limit) as RunRow[];
    return rows.map(runOf);
  }
}
