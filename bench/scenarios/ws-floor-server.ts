/**
 * Section (a)'s floors: the least a Node.js hub can do for the bench's WebSocket messaging, run as its
 * own process (`node dist/bench/scenarios/ws-floor-server.js [--durable]`, prints `listening on <url>`).
 * It speaks the hub's frames as the bench's clients use them: `ready` on connect; a `send` frame is
 * parsed, answered with `result` and pushed to the recipient as a `message` frame with its inbox
 * cursor. Nothing else: no token check, validation, threads, rollups, events or limits.
 *
 * - memory: the message is pushed and acked at once (the same ws library and JSON as the hub).
 * - `--durable`: acked only after it committed, like the hub: the sends of one event-loop turn are
 *   inserted in one transaction into a SQLite file in WAL mode with `synchronous = NORMAL` (the hub's
 *   pragmas), one row per message with its recipient and cursor, keyed for an inbox read. That is the
 *   least a durable inbox stores.
 *
 * For the bench's client only: it also answers `/health` and `POST /api/v1/agents/register`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { type WebSocket, WebSocketServer } from 'ws';
import { serveFloor } from '../lib/floor-serve.js';

const durable = process.argv.includes('--durable');
const dir = durable ? mkdtempSync(join(tmpdir(), 'switchboard-ws-floor-')) : undefined;
const db = dir ? new Database(join(dir, 'floor.db')) : undefined;
if (db) {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`CREATE TABLE inbox (
    recipient TEXT NOT NULL, cursor INTEGER NOT NULL, message_id TEXT NOT NULL, sender TEXT NOT NULL,
    body TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (recipient, cursor)) WITHOUT ROWID`);
}
const insert = db?.prepare(
  'INSERT INTO inbox (recipient, cursor, message_id, sender, body, created_at) VALUES (?, ?, ?, ?, ?, ?)',
);

const sockets = new Map<string, WebSocket>();
const cursors = new Map<string, number>();
let seq = 0;

interface Pending {
  from: WebSocket;
  id: unknown;
  to: string;
  cursor: number;
  messageId: string;
  sender: string;
  body: string;
  createdAt: string;
}
let pending: Pending[] = [];

function push(p: Pending): void {
  const message = { message_id: p.messageId, from: p.sender, body: p.body, created_at: p.createdAt };
  sockets.get(p.to)?.send(JSON.stringify({ type: 'message', cursor: String(p.cursor), message }));
  p.from.send(JSON.stringify({ type: 'result', id: p.id, result: { message_id: p.messageId } }));
}

/** The durable floor's group commit: every send of this turn in one transaction, then pushed and acked. */
const commit = db?.transaction((batch: Pending[]) => {
  for (const p of batch) insert!.run(p.to, p.cursor, p.messageId, p.sender, p.body, p.createdAt);
});
function flush(): void {
  const batch = pending;
  pending = [];
  commit!(batch);
  for (const p of batch) push(p);
}

function onFrame(ws: WebSocket, sender: string, data: string): void {
  const frame = JSON.parse(data) as { type?: string; id?: unknown; to?: string; body?: string };
  if (frame.type !== 'send' || typeof frame.to !== 'string' || typeof frame.body !== 'string') return;
  const cursor = (cursors.get(frame.to) ?? 0) + 1;
  cursors.set(frame.to, cursor);
  const p: Pending = {
    from: ws,
    id: frame.id,
    to: frame.to,
    cursor,
    messageId: `m${++seq}`,
    sender,
    body: frame.body,
    createdAt: new Date().toISOString(),
  };
  if (!db) return push(p);
  if (pending.push(p) === 1) setImmediate(flush);
}

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
const server = createServer((req, res) => {
  if (req.url === '/health') return void res.writeHead(200).end('{"status":"ok"}');
  if (req.url === '/api/v1/agents/register' && req.method === 'POST') {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      const name = `${String((JSON.parse(raw || '{}') as { name?: unknown }).name ?? 'agent')}-${++seq}`;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ agent_id: name, token: name }));
    });
    return;
  }
  res.writeHead(404).end();
});
server.on('upgrade', (req, socket, head) => {
  const m = /^\/ws\/([^/?]+)/.exec(req.url ?? '');
  if (!m) return void socket.destroy();
  const agent = decodeURIComponent(m[1]!);
  wss.handleUpgrade(req, socket, head, (ws) => {
    sockets.set(agent, ws);
    ws.on('message', (data: Buffer) => onFrame(ws, agent, data.toString('utf8')));
    ws.on('close', () => {
      if (sockets.get(agent) === ws) sockets.delete(agent);
    });
    ws.send(JSON.stringify({ type: 'ready', cursor: String(cursors.get(agent) ?? 0) }));
  });
});
serveFloor(server, {
  beforeClose: () => {
    for (const ws of wss.clients) ws.terminate();
  },
  afterClose: () => {
    db?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  },
});
