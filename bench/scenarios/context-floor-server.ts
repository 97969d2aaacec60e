/**
 * Section (f)'s floor: the least a Node.js server can do for the bench's `set_context` calls, run as
 * its own process (`node dist/bench/scenarios/context-floor-server.js [<sqlite file>]`, prints
 * `listening on <url>`). Bare `node:http`, the hub's route `PUT /api/v1/context/:scope/:key` with the
 * same JSON body (`{"value": …}`) and bearer header; the body is parsed and the key's row upserted
 * (value, version + 1) into a SQLite file in WAL mode with `synchronous = NORMAL` (the hub's pragmas).
 * The sets that arrive in one event-loop turn are committed in one transaction on the next
 * (`setImmediate`), and each is answered (`{scope, key, version, value}`) only after its commit, as
 * the hub does. Nothing else: the bearer is only compared with one fixed token, no validation beyond
 * a parsable body with a value, no history, watchers, expiry, events or limits.
 *
 * Without a file argument the database goes in a temporary directory, removed on SIGTERM. For the
 * bench's client only: it also answers `/health` and `POST /api/v1/agents/register` (with the fixed
 * token for every name).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { serveFloor } from '../lib/floor-serve.js';

const TOKEN = 'context-floor-token';

const file = process.argv[2];
const dir = file ? undefined : mkdtempSync(join(tmpdir(), 'switchboard-context-floor-'));
const db = new Database(file ?? join(dir!, 'floor.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec(`CREATE TABLE IF NOT EXISTS context (
  scope TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, version INTEGER NOT NULL,
  PRIMARY KEY (scope, key)) WITHOUT ROWID`);
const upsert = db
  .prepare(
    `INSERT INTO context (scope, key, value, version) VALUES (?, ?, ?, 1)
     ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value, version = context.version + 1
     RETURNING version`,
  )
  .pluck();

interface Pending {
  scope: string;
  key: string;
  /** The value as JSON text: stored, and sent back as it came. */
  value: string;
  version: number;
  res: ServerResponse;
}
let pending: Pending[] = [];

/** The group commit: every set of the previous turn in one transaction. */
const commit = db.transaction((batch: Pending[]) => {
  for (const p of batch) p.version = upsert.get(p.scope, p.key, p.value) as number;
});

function flush(): void {
  const batch = pending;
  pending = [];
  try {
    commit(batch);
  } catch (err) {
    for (const p of batch) reply(p.res, 500, JSON.stringify({ error: (err as Error).message }));
    return;
  }
  for (const p of batch)
    reply(
      p.res,
      200,
      `{"scope":${JSON.stringify(p.scope)},"key":${JSON.stringify(p.key)},"version":${p.version},"value":${p.value}}`,
    );
}

function reply(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function readBody(req: IncomingMessage, then: (raw: string) => void): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => then(Buffer.concat(chunks).toString('utf8')));
}

function parse(raw: string): Record<string, unknown> | undefined {
  try {
    const body = JSON.parse(raw) as unknown;
    return body && typeof body === 'object' ? (body as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const CONTEXT_PATH = /^\/api\/v1\/context\/([^/?]+)\/([^/?]+)$/;

const server = createServer((req, res) => {
  const url = req.url ?? '/';
  const m = req.method === 'PUT' ? CONTEXT_PATH.exec(url) : null;
  if (m) {
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      req.resume();
      return reply(res, 401, '{"error":"unauthorized"}');
    }
    return readBody(req, (raw) => {
      const value = parse(raw)?.value;
      if (value === undefined) return reply(res, 400, '{"error":"value is required"}');
      const scope = decodeURIComponent(m[1]!);
      const key = decodeURIComponent(m[2]!);
      if (pending.push({ scope, key, value: JSON.stringify(value), version: 0, res }) === 1)
        setImmediate(flush);
    });
  }
  if (url === '/health') return reply(res, 200, '{"status":"ok"}');
  if (url === '/api/v1/agents/register' && req.method === 'POST')
    return readBody(req, (raw) => {
      const name = String(parse(raw)?.name ?? 'agent');
      reply(res, 200, JSON.stringify({ agent_id: name, token: TOKEN }));
    });
  req.resume();
  reply(res, 404, '{"error":"not found"}');
});
serveFloor(server, {
  afterClose: () => {
    db.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  },
});
