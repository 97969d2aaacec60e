/**
 * PostgreSQL implementation of WorkflowStore: durable runs and the state of each of their steps.
 * A step write and the end of its run may come from different nodes (the runner on one, a cancel on
 * another); both take the run's row lock first, so they happen one after the other and nothing is
 * written to a run that has ended.
 */
import type { RunEnd, RunStatus, StoredRun, StoredStep, WorkflowStore } from '../workflows.js';
import type { PgDatabase } from './database.js';
import { json, runParams, type RunRow, runOf, type StepRow, stepOf } from '../rows/workflows.js';

export class PgWorkflowStore implements WorkflowStore {
  constructor(readonly db: PgDatabase) {}

  /** One transaction: a run is never seen without its steps (another node resuming it reads both). */
  async createRun(run: StoredRun, steps: StoredStep[]): Promise<void> {
    await this.db.tx(async (c) => {
      await c.query(
        `INSERT INTO workflow_runs (id, name, definition, inputs, status, started_by, agent_id,
           correlation_id, output, error, created_at, updated_at, finished_at, node_id, lease_expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
        runParams(run),
      );
      if (steps.length === 0) return;
      await c.query(
        `INSERT INTO workflow_steps (run_id, step_id, position, parent, call, status, attempts, output,
           error, started_at, finished_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::integer[], $4::text[], $5::text[], $6::text[],
           $7::integer[], $8::text[], $9::text[], $10::timestamptz[], $11::timestamptz[])`,
        [
          steps.map((s) => s.runId),
          steps.map((s) => s.stepId),
          steps.map((s) => s.position),
          steps.map((s) => s.parent),
          steps.map((s) => s.call),
          steps.map((s) => s.status),
          steps.map((s) => s.attempts),
          steps.map((s) => json(s.output)),
          steps.map((s) => s.error),
          steps.map((s) => s.startedAt),
          steps.map((s) => s.finishedAt),
        ],
      );
    });
  }

  /**
   * Exact across nodes: the conditional UPDATE of the run (WHERE status = 'running') takes its row
   * lock before the step is written and holds it to commit. A `finishRun` racing it on another node
   * waits for that lock (or this waits for its), and whichever comes second re-checks the committed
   * run: a step is never written after its run ended. With `owner`, the same re-check fences a node
   * that lost its lease: once another node's takeover committed, this node's writes match no row.
   */
  async updateStep(s: StoredStep, at: string, owner?: string): Promise<boolean> {
    return this.db.tx(async (c) => {
      const { rowCount } = await c.query(
        `UPDATE workflow_runs SET updated_at = $1 WHERE id = $2 AND status = 'running'
         AND ($3::text IS NULL OR node_id = $3)`,
        [at, s.runId, owner ?? null],
      );
      if (rowCount !== 1) return false;
      await c.query(
        `UPDATE workflow_steps SET status = $1, attempts = $2, output = $3, error = $4, started_at = $5,
           finished_at = $6 WHERE run_id = $7 AND step_id = $8`,
        [s.status, s.attempts, json(s.output), s.error, s.startedAt, s.finishedAt, s.runId, s.stepId],
      );
      return true;
    });
  }

  /**
   * Exactly one end is recorded when two nodes end a run at once (its runner completing it, a cancel
   * elsewhere): the conditional UPDATE … WHERE status = 'running' on the run's row; the second waits
   * for the first's row lock, re-checks the committed row and updates nothing. Cancelled steps are
   * written in the same transaction, after the run's lock is held, so no step write slips between.
   */
  async finishRun(id: string, end: RunEnd, owner?: string): Promise<boolean> {
    return this.db.tx(async (c) => {
      const { rowCount } = await c.query(
        `UPDATE workflow_runs SET status = $1, output = $2, error = $3, updated_at = $4, finished_at = $4
         WHERE id = $5 AND status = 'running' AND ($6::text IS NULL OR node_id = $6)`,
        [end.status, json(end.output), end.error, end.at, id, owner ?? null],
      );
      if (rowCount !== 1) return false;
      if (end.cancelSteps?.length) {
        await c.query(
          `UPDATE workflow_steps SET status = 'cancelled', finished_at = $1
           WHERE run_id = $2 AND status = ANY($3::text[])`,
          [end.at, id, end.cancelSteps],
        );
      }
      return true;
    });
  }

  /**
   * Exactly one node gets each run when several claim at once: the conditional UPDATE locks each row
   * it matches; a second node's UPDATE waits on that lock, then (read committed) re-evaluates its
   * WHERE on the committed row — now owned by the first, its lease fresh — and skips it.
   */
  async claimRuns(
    owner: string,
    leaseExpiresAt: string | null,
    expiredBefore?: string,
  ): Promise<StoredRun[]> {
    const rows = await this.db.query<RunRow>(
      `UPDATE workflow_runs SET node_id = $1, lease_expires_at = $2
       WHERE status = 'running' AND ($3::timestamptz IS NULL OR node_id = $1 OR node_id IS NULL
         OR lease_expires_at IS NULL OR lease_expires_at < $3::timestamptz)
       RETURNING *`,
      [owner, leaseExpiresAt, expiredBefore ?? null],
    );
    return rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map(runOf);
  }

  /** One UPDATE for all of a node's runs; a run taken over meanwhile (node_id changed) is not renewed. */
  async renewLeases(owner: string, ids: readonly string[], leaseExpiresAt: string): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.query<{ id: string }>(
      `UPDATE workflow_runs SET lease_expires_at = $1
       WHERE node_id = $2 AND status = 'running' AND id = ANY($3::text[])
       RETURNING id`,
      [leaseExpiresAt, owner, [...ids]],
    );
    return rows.map((r) => r.id).sort();
  }

  async getRun(id: string): Promise<StoredRun | undefined> {
    const [row] = await this.db.query<RunRow>('SELECT * FROM workflow_runs WHERE id = $1', [id]);
    return row ? runOf(row) : undefined;
  }

  async getSteps(runId: string): Promise<StoredStep[]> {
    const rows = await this.db.query<StepRow>(
      'SELECT * FROM workflow_steps WHERE run_id = $1 ORDER BY position',
      [runId],
    );
    return rows.map(stepOf);
  }

  async listRuns(filter: { agentId?: string; status?: RunStatus; limit: number }): Promise<StoredRun[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.agentId !== undefined) {
      args.push(filter.agentId);
      where.push(`agent_id = $${args.length}`);
    }
    if (filter.status !== undefined) {
      args.push(filter.status);
      where.push(`status = $${args.length}`);
    }
    args.push(filter.limit);
    const rows = await this.db.query<RunRow>(
      `SELECT * FROM workflow_runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY id DESC LIMIT $${args.length}`,
      args,
    );
    return rows.map(runOf);
  }
}
