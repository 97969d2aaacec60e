/**
 * Writing rollup rows to PostgreSQL: one `INSERT … SELECT FROM unnest(…) ON CONFLICT` statement per
 * table and delta, whatever its number of rows.
 *
 * Several nodes write rollups into the same rows at once, so a counter is only ever added to in SQL
 * (`SET n = t.n + excluded.n`): PostgreSQL takes the row lock, re-reads the committed value and adds,
 * so two nodes' increments of one minute's row both count. Never read a counter in Node and write it
 * back (two nodes would each write their own sum and one increment would be lost).
 *
 * Rows are inserted in key order, so two transactions that touch the same keys lock them in the same
 * order and do not deadlock (were one to happen anyway, `PgDatabase.tx` runs the transaction again).
 */
import type { Queryable } from './database.js';

export type PgType = 'integer' | 'bigint' | 'double precision' | 'text';

export interface Col<R> {
  name: string;
  type: PgType;
  /** Part of the table's primary key (the conflict target). */
  key?: true;
  /** Added to the stored value on conflict (counters and sums); other columns keep the stored value. */
  add?: true;
  /** Replaces the stored value on conflict. */
  set?: true;
  of: (r: R) => unknown;
}

/**
 * Adds (or, for `set` columns, replaces) `rows` in `table`; `ignore`: rows whose key is stored already
 * are left as they are. Rows of one delta with the same key are merged first (a statement may not
 * touch a row twice): `add` columns summed, `set` columns the last row's, others the first row's.
 */
export async function upsertRows<R>(
  c: Queryable,
  table: string,
  cols: Array<Col<R>>,
  rows: readonly R[],
  ignore = false,
): Promise<void> {
  if (rows.length === 0) return;
  const keys = cols.filter((col) => col.key);
  const merged = new Map<string, unknown[]>();
  for (const r of rows) {
    const values = cols.map((col) => col.of(r));
    const k = JSON.stringify(keys.map((col) => col.of(r)));
    const had = merged.get(k);
    if (!had) merged.set(k, values);
    else
      cols.forEach((col, i) => {
        if (col.add) had[i] = (had[i] as number) + (values[i] as number);
        else if (col.set) had[i] = values[i];
      });
  }
  const list = [...merged.values()];
  const names = cols.map((col) => col.name).join(', ');
  const arrays = cols.map((col, i) => `$${i + 1}::${col.type}[]`).join(', ');
  const updates = [
    ...cols.filter((col) => col.add).map((col) => `${col.name} = t.${col.name} + excluded.${col.name}`),
    ...cols.filter((col) => col.set).map((col) => `${col.name} = excluded.${col.name}`),
  ];
  const conflict = ignore || updates.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${updates.join(', ')}`;
  await c.query(
    `INSERT INTO ${table} AS t (${names})
     SELECT * FROM unnest(${arrays}) AS u(${names})
     ORDER BY ${keys.map((col) => col.name).join(', ')}
     ON CONFLICT (${keys.map((col) => col.name).join(', ')}) ${conflict}`,
    cols.map((_, i) => list.map((v) => v[i])),
  );
}
