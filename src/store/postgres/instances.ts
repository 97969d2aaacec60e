/**
 * PostgreSQL implementation of InstanceStore: instance records and their output events. Records
 * come back field for field as the SQLite store returns them (JSON columns as text, times as ISO).
 */
import type { InstanceEventRecord, InstanceRecord, InstanceStatus, InstanceStore } from '../instances.js';
import type { PgDatabase } from './database.js';
import { COLUMNS, toColumn, toRecord } from '../rows/instances.js';

const INSERT = `INSERT INTO instances (${COLUMNS.map((c) => c[1]).join(', ')})
  VALUES (${COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`;

/**
 * The advisory-lock namespace (first key of the two-key form) for appending one instance's events;
 * the second key is a hash of the instance id.
 */
const EVENTS_LOCK = 7_700_003;

export class PgInstanceStore implements InstanceStore {
  constructor(readonly db: PgDatabase) {}

  /** The primary key refuses a second instance with one id, from whichever node. */
  async createInstance(record: InstanceRecord): Promise<void> {
    await this.db.query(
      INSERT,
      COLUMNS.map(([key, , kind]) => toColumn(kind, record[key])),
    );
  }

  /**
   * One statement, so a patch lands whole. Its fields are the supervising node's own (the process
   * it runs), written by that node alone; a later write simply replaces an earlier one, as on SQLite.
   */
  async updateInstance(id: string, patch: Partial<InstanceRecord>): Promise<void> {
    const cols = COLUMNS.filter(([key]) => key !== 'id' && key in patch);
    if (cols.length === 0) return;
    // Column names come from COLUMNS above, never from the caller; values are parameters.
    const sets = cols.map(([, col], i) => `${col} = $${i + 2}`).join(', ');
    await this.db.query(`UPDATE instances SET ${sets} WHERE id = $1`, [
      id,
      ...cols.map(([key, , kind]) => toColumn(kind, patch[key])),
    ]);
  }

  /**
   * One conditional UPDATE: its WHERE is re-checked on the row it locks, so of nodes claiming one
   * instance at once exactly one matches (the others find node_id or status changed, 0 rows).
   */
  async claimInstance(
    id: string,
    expect: { nodeId: string | null; status: InstanceStatus },
    patch: Partial<InstanceRecord>,
  ): Promise<boolean> {
    const cols = COLUMNS.filter(([key]) => key !== 'id' && key in patch);
    // Column names come from COLUMNS above, never from the caller; values are parameters.
    const sets = cols.map(([, col], i) => `${col} = $${i + 4}`);
    const rows = await this.db.query(
      `UPDATE instances SET ${sets.length ? sets.join(', ') : 'id = id'}
        WHERE id = $1 AND node_id IS NOT DISTINCT FROM $2 AND status = $3 RETURNING id`,
      [id, expect.nodeId, expect.status, ...cols.map(([key, , kind]) => toColumn(kind, patch[key]))],
    );
    return rows.length === 1;
  }

  async getInstance(id: string): Promise<InstanceRecord | undefined> {
    const [row] = await this.db.query('SELECT * FROM instances WHERE id = $1', [id]);
    return row ? toRecord(row) : undefined;
  }

  async listInstances(filter: {
    status?: InstanceStatus;
    parentId?: string;
    rootId?: string;
  }): Promise<InstanceRecord[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    for (const [col, value] of [
      ['status', filter.status],
      ['parent_id', filter.parentId],
      ['root_id', filter.rootId],
    ] as const) {
      if (!value) continue;
      values.push(value);
      where.push(`${col} = $${values.length}`);
    }
    const rows = await this.db.query(
      `SELECT * FROM instances ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id`,
      values,
    );
    return rows.map(toRecord);
  }

  async unfinishedInstances(terminal: readonly InstanceStatus[]): Promise<InstanceRecord[]> {
    const rows = await this.db.query(
      'SELECT * FROM instances WHERE NOT (status = ANY($1::text[])) ORDER BY id',
      [terminal],
    );
    return rows.map(toRecord);
  }

  /**
   * Readers page one instance's events by `seq` (`instanceEvents(id, afterSeq)`), so for each
   * instance the seqs must become visible in increasing order: identity values are handed out at
   * insert, not at commit, and a reader that saw seq 12 before a slower seq 11 committed would skip
   * 11 for ever. A transaction-scoped advisory lock per instance (taken in sorted order, so two
   * batches never deadlock) makes appends to one instance take their seqs and commit one after the
   * other; appends to different instances still run side by side.
   */
  async appendInstanceEvents(events: Array<Omit<InstanceEventRecord, 'seq'>>): Promise<number[]> {
    if (events.length === 0) return [];
    const ids = [...new Set(events.map((e) => e.instanceId))].sort();
    return this.db.tx(async (c) => {
      for (const id of ids)
        await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [EVENTS_LOCK, id]);
      const { rows } = await c.query<{ seq: number }>(
        `INSERT INTO instance_events (instance_id, kind, at, data)
         SELECT instance_id, kind, at, data
         FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[])
           WITH ORDINALITY AS e(instance_id, kind, at, data, n)
         ORDER BY n
         RETURNING seq`,
        [
          events.map((e) => e.instanceId),
          events.map((e) => e.kind),
          events.map((e) => e.at),
          events.map((e) => JSON.stringify(e.data)),
        ],
      );
      return rows.map((r) => r.seq).sort((a, b) => a - b);
    });
  }

  async instanceEvents(instanceId: string, afterSeq: number, limit: number): Promise<InstanceEventRecord[]> {
    const rows = await this.db.query(
      'SELECT * FROM instance_events WHERE instance_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
      [instanceId, afterSeq, limit],
    );
    return rows.map((r) => ({
      seq: r.seq as number,
      instanceId: r.instance_id as string,
      kind: r.kind as string,
      at: r.at as string,
      data: JSON.parse(r.data as string),
    }));
  }
}
