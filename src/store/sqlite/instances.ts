/** SQLite implementation of InstanceStore. Reads run at once; writes go through the group-commit batcher. */
import type { Database, Statement } from 'better-sqlite3';
import type { InstanceEventRecord, InstanceRecord, InstanceStatus, InstanceStore } from '../instances.js';
import type { WriteBatcher } from './batcher.js';
import { COLUMNS, type Row, toColumn, toRecord } from '../rows/instances.js';

export class SqliteInstanceStore implements InstanceStore {
  private readonly insert: Statement;
  private readonly byId: Statement;
  private readonly unfinished: Statement;
  private readonly insertEvent: Statement;
  private readonly eventsAfter: Statement;

  constructor(
    readonly db: Database,
    readonly batcher: WriteBatcher,
  ) {
    this.insert = db.prepare(
      `INSERT INTO instances (${COLUMNS.map((c) => c[1]).join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`,
    );
    this.byId = db.prepare('SELECT * FROM instances WHERE id = ?');
    this.unfinished = db.prepare(
      'SELECT * FROM instances WHERE status NOT IN (SELECT value FROM json_each(?)) ORDER BY id',
    );
    this.insertEvent = db.prepare(
      'INSERT INTO instance_events (instance_id, kind, at, data) VALUES (?, ?, ?, ?)',
    );
    this.eventsAfter = db.prepare(
      'SELECT * FROM instance_events WHERE instance_id = ? AND seq > ? ORDER BY seq LIMIT (? + 0)',
    );
  }

  createInstance(record: InstanceRecord): Promise<void> {
    return this.batcher.run(() => {
      this.insert.run(...COLUMNS.map(([key, , kind]) => toColumn(kind, record[key])));
    });
  }

  updateInstance(id: string, patch: Partial<InstanceRecord>): Promise<void> {
    const cols = COLUMNS.filter(([key]) => key !== 'id' && key in patch);
    if (cols.length === 0) return Promise.resolve();
    const sql = `UPDATE instances SET ${cols.map(([, col]) => `${col} = ?`).join(', ')} WHERE id = ?`;
    const values = cols.map(([key, , kind]) => toColumn(kind, patch[key]));
    return this.batcher.run(() => {
      this.db.prepare(sql).run(...values, id);
    });
  }

  /** The single writer makes the check and the write one step (the batcher runs them together). */
  claimInstance(
    id: string,
    expect: { nodeId: string | null; status: InstanceStatus },
    patch: Partial<InstanceRecord>,
  ): Promise<boolean> {
    const cols = COLUMNS.filter(([key]) => key !== 'id' && key in patch);
    const sets = cols.map(([, col]) => `${col} = ?`);
    const sql = `UPDATE instances SET ${sets.length ? sets.join(', ') : 'id = id'}
      WHERE id = ? AND node_id IS ? AND status = ?`;
    const values = cols.map(([key, , kind]) => toColumn(kind, patch[key]));
    return this.batcher.run(
      () => this.db.prepare(sql).run(...values, id, expect.nodeId, expect.status).changes === 1,
    );
  }

  async getInstance(id: string): Promise<InstanceRecord | undefined> {
    const row = this.byId.get(id) as Row | undefined;
    return row ? toRecord(row) : undefined;
  }

  async listInstances(filter: {
    status?: InstanceStatus;
    parentId?: string;
    rootId?: string;
  }): Promise<InstanceRecord[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    const add = (clause: string, value: unknown) => {
      where.push(clause);
      values.push(value);
    };
    if (filter.status) add('status = ?', filter.status);
    if (filter.parentId) add('parent_id = ?', filter.parentId);
    if (filter.rootId) add('root_id = ?', filter.rootId);
    const sql = `SELECT * FROM instances ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id`;
    return (this.db.prepare(sql).all(...values) as Row[]).map(toRecord);
  }

  async unfinishedInstances(terminal: readonly InstanceStatus[]): Promise<InstanceRecord[]> {
    return (this.unfinished.all(JSON.stringify(terminal)) as Row[]).map(toRecord);
  }

  appendInstanceEvents(events: Array<Omit<InstanceEventRecord, 'seq'>>): Promise<number[]> {
    return this.batcher.run(() =>
      events.map((e) =>
        Number(this.insertEvent.run(e.instanceId, e.kind, e.at, JSON.stringify(e.data)).lastInsertRowid),
      ),
    );
  }

  async instanceEvents(instanceId: string, afterSeq: number, limit: number): Promise<InstanceEventRecord[]> {
    return (this.eventsAfter.all(instanceId, afterSeq, limit) as Row[]).map((r) => ({
      seq: r.seq as number,
      instanceId: r.instance_id as string,
      kind: r.kind as string,
      at: r.at as string,
      data: JSON.parse(r.data as string),
    }));
  }
}
