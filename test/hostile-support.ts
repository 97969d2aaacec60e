/**
 * Shared pieces of the hostile-input tests: raw HTTP requests, the error-shape assertion, a
 * fingerprint of everything stored (to prove rejected writes leave nothing behind), and fast-check
 * arbitraries for hostile values.
 */
import type { Database } from 'better-sqlite3';
import fc from 'fast-check';
import pg from 'pg';
import { expect } from 'vitest';
import { ERROR_CODES, HTTP_STATUS } from '../src/core/errors.js';
import type { TestHub } from './helpers/hub.js';

export interface RawResponse {
  status: number;
  text: string;
  json: any;
  headers: Headers;
}

/** A request with exactly the body and headers given (no JSON encoding, no defaults). */
export async function raw(
  hub: TestHub,
  method: string,
  path: string,
  opts: { body?: string | Uint8Array; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const hasType = Object.keys(opts.headers ?? {}).some((h) => h.toLowerCase() === 'content-type');
  // fetch labels a string body text/plain; bytes go out with no Content-Type at all.
  const body = typeof opts.body === 'string' && !hasType ? Buffer.from(opts.body) : opts.body;
  const res = await fetch(hub.url + path, {
    method,
    headers: opts.headers,
    body: method === 'GET' || method === 'HEAD' ? undefined : body,
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, headers: res.headers };
}

/**
 * The rule for every answer to hostile input: never a 5xx (but `timeout` from an operation that waits,
 * with `waits`); an error is JSON `{success:false, error:{code, message}}` with the status its code maps
 * to, and no stack trace.
 */
export function expectNoServerError(res: RawResponse, what: string, opts: { waits?: boolean } = {}): void {
  const context = `${what} → ${res.status} ${res.text.slice(0, 300)}`;
  // A call that waits (a request nobody answers) may end in `timeout`, which HTTP says as 504.
  const timedOut = opts.waits === true && res.status === 504 && res.json?.error?.code === 'timeout';
  if (!timedOut) expect(res.status, context).toBeLessThan(500);
  expect(res.text, context).not.toMatch(/\n\s+at .+\(.*:\d+:\d+\)/);
  if (res.status < 400) return;
  expect(res.headers.get('content-type') ?? '', context).toMatch(/application\/json/);
  expect(res.json?.success, context).toBe(false);
  const code = res.json?.error?.code;
  expect(ERROR_CODES as readonly string[], context).toContain(code);
  expect(code, context).not.toBe('internal');
  expect(HTTP_STATUS[code as keyof typeof HTTP_STATUS], context).toBe(res.status);
  expect(typeof res.json.error.message, context).toBe('string');
  expect(res.json.error.message.length, context).toBeGreaterThan(0);
}

/** The hub's SQLite connection (SQLite hubs only; `stored` and `fingerprint` work on either store). */
export const db = (hub: TestHub): Database => (hub.hub.store as unknown as { db: Database }).db;

const onPostgres = (hub: TestHub): boolean => hub.hub.store.kind === 'postgres';

/**
 * One `pg` client per PostgreSQL hub, on the hub's own database (`config.db`), for reading what it
 * stored; ended before the hub closes (its database is dropped when the file ends).
 */
const clients = new WeakMap<TestHub, Promise<pg.Client>>();
function pgClient(hub: TestHub): Promise<pg.Client> {
  let client = clients.get(hub);
  if (!client) {
    const c = new pg.Client({ connectionString: hub.hub.config.db });
    c.on('error', () => undefined); // the database dropped under an idle client at the end of the file
    client = c.connect().then(() => c);
    clients.set(hub, client);
    const close = hub.close.bind(hub);
    hub.close = async () => {
      clients.delete(hub);
      await c.end().catch(() => undefined);
      await close();
    };
  }
  return client;
}

/** Rows of a query on what the hub stored, written for each store (`?` and `$1` parameters). */
export async function stored<T = Record<string, unknown>>(
  hub: TestHub,
  sql: { sqlite: string; postgres: string },
  params: unknown[] = [],
): Promise<T[]> {
  if (!onPostgres(hub))
    return db(hub)
      .prepare(sql.sqlite)
      .all(...params) as T[];
  return (await (await pgClient(hub)).query(sql.postgres, params)).rows as T[];
}

/**
 * Left out of the fingerprint, each for a reason (every other table and column of the schema is in):
 * - `agents.last_seen_at`: every authenticated call records the caller's activity (presence), refused or
 *   not — after validation, before the handler (see ops/invoke.ts).
 * - the full-text index of messages (SQLite: virtual tables, their shadow tables `<name>_*`, and
 *   `fts_progress`, its high-water mark): derived from `messages`, which is in; it is caught up on a
 *   timer and by every search (store/sqlite/fts.ts), so it changes while unrelated calls run. (On
 *   PostgreSQL the search words are a column of `messages`, written with the row: they are in.)
 * - the analytics rollups (`analytics_*`): derived from what is in, written in batches on a timer, and
 *   they count every call, refused ones too (domain/analytics/recorder.ts).
 * - PostgreSQL only, the cluster's bookkeeping: `bus_events`, the bus's outbox (src/bus/cluster.ts):
 *   a copy of every event published, pruned on a timer, and refused calls publish too (an agent's
 *   presence); what the events say is in the tables that are in. `nodes`: each live hub's heartbeat,
 *   rewritten every few seconds whatever the calls (src/domain/nodes/).
 * - `workflow_runs.lease_expires_at`: a running workflow's lease, renewed by its node every few seconds
 *   whatever the calls (src/domain/workflows/; the run's status, steps and owner are in).
 * (`schema_migrations` is in on both stores: written once at start, it must not change.)
 */
const SKIPPED_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  agents: ['last_seen_at'],
  workflow_runs: ['lease_expires_at'],
};
const SKIPPED_TABLES: readonly string[] = ['fts_progress', 'bus_events', 'nodes'];

/** Every table of the hub's schema, by name. */
export async function allTables(hub: TestHub): Promise<string[]> {
  if (!onPostgres(hub))
    return (
      db(hub).prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as Array<{ name: string }>
    ).map((r) => r.name);
  const rows = await stored<{ name: string }>(hub, {
    sqlite: '',
    postgres: `SELECT table_name AS name FROM information_schema.tables
               WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
  });
  return rows.map((r) => r.name);
}

type Tables = Array<{ table: string; columns: string[] }>;

function sqliteTables(d: Database): Tables {
  const tables = d
    .prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name`)
    .all() as Array<{
    name: string;
    sql: string | null;
  }>;
  const virtual = tables.filter((t) => /^\s*CREATE\s+VIRTUAL\s+TABLE/i.test(t.sql ?? '')).map((t) => t.name);
  const derived = (name: string) =>
    SKIPPED_TABLES.includes(name) ||
    name.startsWith('analytics_') ||
    virtual.some((v) => name === v || name.startsWith(`${v}_`));
  return tables
    .filter((t) => !derived(t.name))
    .map((t) => ({
      table: t.name,
      columns: (d.prepare(`SELECT name FROM pragma_table_info(?)`).all(t.name) as Array<{ name: string }>)
        .map((c) => c.name)
        .filter((c) => !SKIPPED_COLUMNS[t.name]?.includes(c)),
    }));
}

async function pgTables(c: pg.Client | pg.PoolClient): Promise<Tables> {
  const { rows } = await c.query<{ table_name: string; column_name: string }>(
    `SELECT c.table_name, c.column_name FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
     WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
     ORDER BY c.table_name, c.ordinal_position`,
  );
  const tables = new Map<string, string[]>();
  for (const r of rows) {
    if (SKIPPED_TABLES.includes(r.table_name) || r.table_name.startsWith('analytics_')) continue;
    if (SKIPPED_COLUMNS[r.table_name]?.includes(r.column_name)) continue;
    tables.set(r.table_name, [...(tables.get(r.table_name) ?? []), r.column_name]);
  }
  return [...tables].map(([table, columns]) => ({ table, columns }));
}

/** The tables and columns a fingerprint reads, from the schema itself (sqlite_master or information_schema), so new tables are in. */
export async function fingerprintedTables(hub: TestHub): Promise<Tables> {
  return onPostgres(hub) ? pgTables(await pgClient(hub)) : sqliteTables(db(hub));
}

const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;
const printed = new WeakMap<TestHub, { changes: number; print: string }>();

const printOf = (tables: Tables, rowsOf: (table: string, columns: string[]) => string[]) =>
  tables
    .map(
      ({ table, columns }) => `${table}(${columns.join(',')}): ${rowsOf(table, columns).sort().join('\n')}`,
    )
    .join('\n');

function sqlitePrint(d: Database): string {
  return printOf(sqliteTables(d), (table, columns) =>
    d
      .prepare(`SELECT ${columns.map(quoted).join(', ')} FROM ${quoted(table)}`)
      .raw()
      .all()
      .map((row) => JSON.stringify(row)),
  );
}

const schemas = new WeakMap<pg.Client, Tables>();

/**
 * On PostgreSQL: every row as PostgreSQL prints it (`json_build_array(...)::text`, each value in its
 * type's own text form), all tables read in one round trip. Outside a transaction of its own caller,
 * in a read-only REPEATABLE READ one, so every table is read at the same instant.
 */
async function pgPrint(c: pg.Client, inTransaction: boolean): Promise<string> {
  // information_schema is slow to read (~100 ms); the schema does not change while the hub runs.
  let tables = schemas.get(c);
  if (!tables) schemas.set(c, (tables = await pgTables(c)));
  const selects = tables.map(
    ({ table, columns }) =>
      `SELECT json_build_array(${columns.map(quoted).join(', ')})::text AS r FROM ${quoted(table)}`,
  );
  const sql = inTransaction
    ? selects.join(';\n')
    : ['BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', ...selects, 'COMMIT'].join(';\n');
  const results = (await c.query(sql)) as unknown as pg.QueryResult<{ r: string }>[];
  const reads = inTransaction ? results : results.slice(1, -1);
  return printOf(tables, (_table, _columns) => reads.shift()!.rows.map((x) => x.r));
}

/**
 * Everything stored, but for what is skipped above. Equal fingerprints before and after a rejected
 * request mean it wrote nothing. On SQLite read again only when the connection's total_changes() moved
 * (no INSERT, UPDATE or DELETE ran on the hub's only connection since: the content is the same); on
 * PostgreSQL (several connections, no such counter) read every time.
 */
export async function fingerprint(hub: TestHub): Promise<string> {
  if (onPostgres(hub)) return pgPrint(await pgClient(hub), false);
  const d = db(hub);
  const changes = (d.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
  const cached = printed.get(hub);
  if (cached?.changes === changes) return cached.print;
  const print = sqlitePrint(d);
  // Rows written inside a transaction still open may yet be rolled back, which total_changes() never shows.
  if (!d.inTransaction) printed.set(hub, { changes, print });
  return print;
}

/**
 * The fingerprint with one table emptied (and put back at once), to show a change to it shows: null
 * when the table has no row. On SQLite synchronously, inside a savepoint rolled back at once (the hub
 * cannot run in between); on PostgreSQL inside a REPEATABLE READ transaction of the test's own
 * (foreign keys not enforced in it: session_replication_role = replica), rolled back, so the hub never
 * sees the table empty.
 */
export async function printWithout(
  hub: TestHub,
  table: string,
): Promise<{ before: string; emptied: string } | null> {
  if (!onPostgres(hub)) {
    const d = db(hub);
    if (d.inTransaction) throw new Error('the hub is inside a transaction');
    if (!d.prepare(`SELECT 1 FROM ${quoted(table)} LIMIT 1`).get()) return null;
    const before = sqlitePrint(d);
    d.exec('SAVEPOINT probe; PRAGMA defer_foreign_keys = ON');
    try {
      d.exec(`DELETE FROM ${quoted(table)}`);
      return { before, emptied: sqlitePrint(d) };
    } finally {
      d.exec('ROLLBACK TO probe; RELEASE probe');
    }
  }
  const c = await pgClient(hub);
  await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
  try {
    await c.query('SET LOCAL session_replication_role = replica');
    if ((await c.query(`SELECT 1 FROM ${quoted(table)} LIMIT 1`)).rowCount === 0) return null;
    const before = await pgPrint(c, true);
    await c.query(`DELETE FROM ${quoted(table)}`);
    return { before, emptied: await pgPrint(c, true) };
  } finally {
    await c.query('ROLLBACK');
  }
}

/** Keys that have tripped up JavaScript servers before. */
export const nastyKeys = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__defineGetter__',
  '',
  ' ',
  '\u0000',
  'agent_id',
  'from',
  'to',
  'type',
  'id',
  'op',
  'input',
];

const nastyStrings = [
  '',
  ' ',
  '\u0000',
  '\u0000abc',
  '\ud800',
  '\udc00x',
  '\u202e\u2066',
  '𝕏🚀👩‍👩‍👧‍👦',
  'ＡＬＬ',
  'ALL',
  'all',
  'capability:',
  'capability:%',
  'topic:',
  'topic:../x',
  '../../etc/passwd',
  "'; DROP TABLE agents; --",
  '" OR 1=1 --',
  'NEAR(a b) OR "x*"',
  '%00',
  '%E0%A4%A',
  // A template-injection probe, meant literally.
  '${process.exit()}',
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  '0',
  '-1',
  '1e309',
  '99999999999999999999',
  'NaN',
  'null',
  'true',
  '[]',
  '{}',
];

/** JSON text nested `depth` levels deep, built as text (JSON.stringify itself overflows on deep values). */
export function nestedJson(depth: number, asArray = false): string {
  return asArray
    ? `${'['.repeat(depth)}1${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}"x"${'}'.repeat(depth)}`;
}

/** A JSON-able value nested `depth` levels deep. */
export function nested(depth: number, leaf: unknown = 'x', asArray = false): unknown {
  let v: unknown = leaf;
  for (let i = 0; i < depth; i++) v = asArray ? [v] : { a: v };
  return v;
}

export const hostileString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...nastyStrings) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('x', '€', '\u0000', '🚀'), fc.integer({ min: 200, max: 70_000 }))
      .map(([c, n]) => c.repeat(n)),
  },
);

/** Any JSON value, biased towards what breaks servers. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: hostileString },
  {
    weight: 2,
    arbitrary: fc.constantFrom<unknown>(
      null,
      true,
      false,
      0,
      -1,
      1.5,
      -0,
      2 ** 53,
      -(2 ** 63),
      1e308,
      [],
      {},
      [null],
      { __proto__: null },
    ),
  },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 50, max: 1000 }), fc.boolean())
      .map(([depth, asArray]) => nested(depth, 'deep', asArray)),
  },
  { weight: 1, arbitrary: fc.array(hostileStringSmall(), { maxLength: 5 }) },
  {
    weight: 1,
    arbitrary: fc.dictionary(fc.constantFrom(...nastyKeys), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
  },
);

function hostileStringSmall() {
  return fc.oneof(fc.constantFrom(...nastyStrings), fc.string({ unit: 'binary', maxLength: 20 }));
}

/**
 * JSON text of `value` with prototype-pollution keys spliced into some of its objects
 * (`"__proto__": {...}`, `"constructor": {"prototype": {...}}`): JSON.stringify alone never emits them.
 */
export function withPollution(value: unknown, picks: number[]): string {
  let text = JSON.stringify(value) ?? 'null';
  const payloads = [
    '"__proto__":{"polluted":"yes"}',
    '"constructor":{"prototype":{"polluted":"yes"}}',
    '"__proto__":{"__proto__":{"polluted":"yes"}}',
    '"prototype":{"polluted":"yes"}',
  ];
  const opens: number[] = [];
  for (let i = 0; i < text.length; i++) if (text[i] === '{' && !insideString(text, i)) opens.push(i);
  if (opens.length === 0) return `{${payloads[picks[0] % payloads.length]},"v":${text}}`;
  for (const [n, pick] of picks.slice(0, 3).entries()) {
    const at = opens[(pick + n) % opens.length];
    const payload = payloads[pick % payloads.length];
    const empty = text[at + 1] === '}';
    text = `${text.slice(0, at + 1)}${payload}${empty ? '' : ','}${text.slice(at + 1)}`;
    for (let k = 0; k < opens.length; k++) if (opens[k] > at) opens[k] += payload.length + (empty ? 0 : 1);
  }
  return text;
}

function insideString(text: string, index: number): boolean {
  let inside = false;
  for (let i = 0; i < index; i++) {
    if (text[i] === '\\' && inside) i++;
    else if (text[i] === '"') inside = !inside;
  }
  return inside;
}

export const pollutedJson = fc
  .tuple(fc.jsonValue({ maxDepth: 3 }), fc.array(fc.nat(), { minLength: 1, maxLength: 3 }))
  .map(([v, picks]) => withPollution(v, picks));

/** Bytes and text that are not JSON, or are JSON of the wrong shape. */
export const garbageBody = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom(
    '',
    ' ',
    'null',
    'true',
    '0',
    '"text"',
    '[]',
    '[{}]',
    '{',
    '}',
    '{"a":}',
    '{"a":1,}',
    "{'a':1}",
    '{"a":NaN}',
    '{"a":Infinity}',
    '{"a":1}{"b":2}',
    '\uFEFF{}',
    '{"a":"\\ud800"}',
    '{"a":"\\u0000"}',
    '{"__proto__":1}',
    '{"a":1e999999}',
    '{"a":-0}',
    `{"a":"${'x'.repeat(10)}"`,
    `${'['.repeat(5000)}${']'.repeat(5000)}`,
    `${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`,
  ),
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('latin1')),
);

export const contentTypes = [
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'APPLICATION/JSON',
  'application/json;;;',
  'text/plain',
  'text/html',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  'application/xml',
  'application/merge-patch+json',
  '*/*',
  'garbage',
  ';',
];

/** Object.prototype as it was when the tests started, to prove nothing polluted it. */
export const PROTO_KEYS_AT_START = Object.getOwnPropertyNames(Object.prototype).sort();

export function expectPrototypesClean(): void {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTO_KEYS_AT_START);
  expect(({} as any).polluted).toBeUndefined();
  expect(([] as any).polluted).toBeUndefined();
  expect((Object.create(Object.prototype) as any).polluted).toBeUndefined();
}
