/**
 * Standalone reproduction (not part of `npm run bench`): why `LIMIT (? + 0)` is cheaper than `LIMIT ?`
 * in the SQLite bundled with better-sqlite3 (3.53).
 *
 * Mechanism (sqlite3.c): `computeLimitRegisters` calls `sqlite3ExprIsInteger(limit, &n, pParse)`, which,
 * for a bare `?` (TK_VARIABLE), reads the bound value to plan with a known LIMIT and marks the variable
 * in the statement's `expmask` (`sqlite3VdbeSetVarmask`). Binding ANY value to a marked variable — even
 * the same value — sets `expired` (`vdbeUnbind`), and the next `sqlite3_step` re-prepares the statement.
 * better-sqlite3 binds every parameter on every run, so every run of a `LIMIT ?` statement is a full
 * parse + plan + code generation. `(? + 0)` is a TK_PLUS expression, not read, so the statement
 * stays prepared. A literal (`LIMIT 50`) is read at prepare time and never expires.
 *
 * The plans can differ: with a known limit the planner may prefer an index that yields the ORDER BY
 * (no sort) over a more selective one. This script prints EXPLAIN QUERY PLAN for each form, then the
 * time per run of each form, interleaved, median of the repetitions.
 *
 *   npm run build && node dist/bench/sqlite-limit.js [messages=50000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openDatabase } from '../src/store/sqlite/open.js';

const MESSAGES = Number(process.argv[2] ?? 50_000);
const AGENTS = 50;
const dir = mkdtempSync(join(tmpdir(), 'sb-limit-'));
const db = openDatabase(join(dir, 'hub.db'));
db.pragma('foreign_keys = OFF');

// ------------------------------------------------------------------ data
const t0 = Date.parse('2026-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const agent = (i: number) => `agent-${i % AGENTS}`;
const fill = db.transaction(() => {
  const msg =
    db.prepare(`INSERT INTO messages (seq, id, from_agent, to_spec, type, body, thread_id, importance,
    ack_required, project, created_at, expires_at, recipients) VALUES (?, ?, ?, ?, 'chat', ?, ?, 'normal', 0, 'p', ?, ?, '[]')`);
  const del = db.prepare('INSERT INTO deliveries (agent_id, message_seq, read_at) VALUES (?, ?, ?)');
  const fts = db.prepare('INSERT INTO messages_search (rowid, subject, body, who) VALUES (?, ?, ?, ?)');
  for (let s = 1; s <= MESSAGES; s++) {
    const body = `message ${s} about ${s % 7 === 0 ? 'deploy' : 'build'} step ${s % 100}`;
    const expires = s % 10 === 0 ? iso(t0 + 86_400_000 * 365) : null;
    msg.run(s, `m${s}`, agent(s), agent(s + 1), body, `t${Math.floor(s / 5)}`, iso(t0 + s * 1000), expires);
    const read = s < MESSAGES - 200 ? iso(t0 + s * 1000 + 500) : null;
    del.run(agent(s + 1), s, read);
    del.run(agent(s + 2), s, read);
    fts.run(s, '', body, `${agent(s)} ${agent(s + 1)}`);
  }
  const ctx =
    db.prepare(`INSERT INTO context_entries (scope, scope_id, key, value, version, created_at, updated_at)
    VALUES (?, ?, ?, '"v"', 1, ?, ?)`);
  for (let k = 0; k < 3000; k++)
    ctx.run('project', `p${k % 3}`, `key-${String(k).padStart(5, '0')}`, iso(t0), iso(t0));
  const hist =
    db.prepare(`INSERT INTO context_history (scope, scope_id, key, version, change, value, changed_by, changed_at)
    VALUES ('project', 'p0', ?, ?, 'set', '"v"', 'a', ?)`);
  for (let k = 0; k < 200; k++) for (let v = 1; v <= 20; v++) hist.run(`key-${k}`, v, iso(t0 + v));
  const task =
    db.prepare(`INSERT INTO tasks (id, title, input, required_capabilities, priority, child_failure_policy,
    project, status, created_by, assignee, attempts, max_attempts, lease_seconds, artifacts, created_at, updated_at, version)
    VALUES (?, 'T', '{}', '[]', 0, 'ignore', 'p', ?, ?, ?, 0, 3, 60, '[]', ?, ?, 1)`);
  const statuses = ['open', 'claimed', 'in_progress', 'completed', 'completed', 'completed', 'failed'];
  for (let i = 0; i < 10_000; i++) {
    const st = statuses[i % statuses.length];
    task.run(
      `task-${String(i).padStart(6, '0')}`,
      st,
      agent(i),
      st === 'open' ? null : agent(i + 3),
      iso(t0),
      iso(t0),
    );
  }
});
fill();

// ------------------------------------------------------------------ statements
interface Case {
  name: string;
  sql: string; // with the token LIMIT_X where the limit goes
  params: unknown[];
  limit: number;
}
const now = iso(t0 + MESSAGES * 1000 + 10_000);
const cases: Case[] = [
  {
    name: 'inbox (wait_for_messages, empty)',
    sql: `SELECT m.*, d.cursor, d.read_at, d.acked_at FROM deliveries d JOIN messages m ON m.seq = d.message_seq
      WHERE d.agent_id = ? AND d.cursor > ? AND (m.expires_at IS NULL OR m.expires_at > ?) ORDER BY d.cursor LIMIT_X`,
    params: [agent(3), MESSAGES * 2, now],
    limit: 100,
  },
  {
    name: 'inbox (unread page)',
    sql: `SELECT m.*, d.cursor, d.read_at, d.acked_at FROM deliveries d JOIN messages m ON m.seq = d.message_seq
      WHERE d.agent_id = ? AND d.cursor > ? AND (m.expires_at IS NULL OR m.expires_at > ?) AND d.read_at IS NULL
      ORDER BY d.cursor LIMIT_X`,
    params: [agent(3), 0, now],
    limit: 50,
  },
  {
    name: 'context list',
    sql: `SELECT * FROM context_entries WHERE scope = ? AND scope_id = ? AND key >= ?
      AND key > ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY key LIMIT_X`,
    params: ['project', 'p1', 'key-', '', now],
    limit: 100,
  },
  {
    name: 'context history',
    sql: 'SELECT * FROM context_history WHERE scope = ? AND scope_id = ? AND key = ? ORDER BY seq DESC LIMIT_X',
    params: ['project', 'p0', 'key-7'],
    limit: 20,
  },
  {
    name: 'tasks list (assignee)',
    sql: 'SELECT * FROM tasks WHERE assignee = ? ORDER BY id DESC LIMIT_X',
    params: [agent(9)],
    limit: 50,
  },
  {
    name: 'tasks list (status open)',
    sql: 'SELECT * FROM tasks WHERE project = ? AND status IN (?) ORDER BY id DESC LIMIT_X',
    params: ['p', 'open'],
    limit: 50,
  },
  {
    name: 'thread',
    sql: `SELECT * FROM messages m WHERE m.thread_id = ? AND (m.from_agent = ?
         OR EXISTS (SELECT 1 FROM deliveries d WHERE d.message_seq = m.seq AND d.agent_id = ?))
       ORDER BY m.seq LIMIT_X`,
    params: ['t100', agent(500), agent(501)],
    limit: 100,
  },
  {
    name: 'search (FTS)',
    sql: `SELECT m.* FROM messages_search s JOIN messages m ON m.seq = s.rowid
      WHERE messages_search MATCH ? ORDER BY s.rowid DESC LIMIT_X`,
    params: ['deploy'],
    limit: 20,
  },
];

const forms = [
  { name: 'LIMIT ?', limit: (c: Case) => ({ sql: c.sql.replace('LIMIT_X', 'LIMIT ?'), extra: [c.limit] }) },
  {
    name: 'LIMIT (? + 0)',
    limit: (c: Case) => ({ sql: c.sql.replace('LIMIT_X', 'LIMIT (? + 0)'), extra: [c.limit] }),
  },
  {
    name: 'LIMIT <literal>',
    limit: (c: Case) => ({ sql: c.sql.replace('LIMIT_X', `LIMIT ${c.limit}`), extra: [] }),
  },
];

const plan = (sql: string, params: unknown[]) =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>)
    .map((r) => r.detail)
    .join('; ');

const RUNS = 1000;
const REPS = 5;
console.log(
  `SQLite ${(db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v}, ${MESSAGES} messages, no ANALYZE (as the hub)`,
);
for (const c of cases) {
  console.log(`\n${c.name}`);
  const prepared = forms.map((f) => {
    const { sql, extra } = f.limit(c);
    const stmt = db.prepare(sql);
    const params = [...c.params, ...extra];
    const rows = stmt.all(...params).length;
    return { f, stmt, params, rows, plan: plan(sql, params), times: [] as number[] };
  });
  for (let r = 0; r < REPS; r++)
    for (const p of prepared) {
      const start = performance.now();
      for (let i = 0; i < RUNS; i++) p.stmt.all(...p.params);
      p.times.push(((performance.now() - start) * 1000) / RUNS);
    }
  // What one prepare of the same text costs: the gap between `LIMIT ?` and `LIMIT (? + 0)` should match it.
  const prepareTimes: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const start = performance.now();
    for (let i = 0; i < RUNS; i++) db.prepare(prepared[1].stmt.source);
    prepareTimes.push(((performance.now() - start) * 1000) / RUNS);
  }
  const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(REPS / 2)];
  console.log(`  db.prepare alone  ${mid(prepareTimes).toFixed(1).padStart(6)} µs`);
  for (const p of prepared) {
    const med = mid(p.times);
    console.log(
      `  ${p.f.name.padEnd(16)} ${med.toFixed(1).padStart(7)} µs/run  rows=${p.rows}  plan: ${p.plan}`,
    );
  }
}
db.close();
rmSync(dir, { recursive: true, force: true });
