/**
 * Section (g)'s floor: the least a Node gateway process does per relayed tool call, run as its own
 * process (`node dist/bench/scenarios/gateway-floor-server.js <command> [args...]`, prints
 * `listening on <url>` once the downstream is initialized). It starts the downstream stdio MCP server
 * (`<command> [args...]`, in the bench server-everything), initializes it once, and serves MCP
 * Streamable HTTP at /mcp on a bare `node:http` server with just enough for the SDK client: an
 * `initialize` answered here (with an `Mcp-Session-Id`), notifications accepted with 202 and dropped,
 * `ping` answered here, and every other request (`tools/list`, `tools/call`) relayed to the downstream
 * as one line of JSON on its stdin with a new id, its answer (one line on its stdout) sent back with
 * the client's id as an `application/json` body. Lines for one event-loop turn go out in one write, as
 * the hub's stdio client does. No MCP SDK server, no validation beyond the JSON parse the ids need, no
 * session table, no store, no auth; downstream notifications are dropped, downstream requests refused.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { serveFloor } from '../lib/floor-serve.js';

interface Rpc {
  jsonrpc: '2.0';
  id?: number | string | null;
  method?: string;
  params?: Record<string, unknown>;
  result?: unknown;
  error?: unknown;
}

const [command, ...args] = process.argv.slice(2);
if (!command) {
  process.stderr.write('usage: gateway-floor-server <command> [args...]\n');
  process.exit(2);
}

const downstream: ChildProcess = spawn(command, args, { stdio: ['pipe', 'pipe', 'ignore'] });
downstream.on('exit', (code, signal) => {
  process.stderr.write(`downstream exited (${code ?? signal})\n`);
  process.exit(1);
});

/** Requests sent downstream, by the id given to them there: who gets the answer, under which id. */
const pending = new Map<number, (answer: Rpc) => void>();
let nextId = 0;
let queued: string[] = [];

function flush(): void {
  const lines = queued;
  queued = [];
  downstream.stdin!.write(lines.join(''));
}

function send(message: Rpc): void {
  if (queued.length === 0) setImmediate(flush);
  queued.push(`${JSON.stringify(message)}\n`);
}

function request(method: string, params: Record<string, unknown> | undefined): Promise<Rpc> {
  const id = ++nextId;
  return new Promise((resolve) => {
    pending.set(id, resolve);
    send({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) });
  });
}

let buffered = '';
downstream.stdout!.setEncoding('utf8');
downstream.stdout!.on('data', (chunk: string) => {
  buffered += chunk;
  let nl: number;
  while ((nl = buffered.indexOf('\n')) >= 0) {
    const line = buffered.slice(0, nl);
    buffered = buffered.slice(nl + 1);
    if (!line.trim()) continue;
    const message = JSON.parse(line) as Rpc;
    if (message.method !== undefined) {
      // A request from the downstream (this client declares no capabilities): refused; notifications dropped.
      if (message.id !== undefined)
        send({ jsonrpc: '2.0', id: message.id, error: { code: -32601, message: 'not supported' } });
      continue;
    }
    const answer = pending.get(message.id as number);
    if (!answer) continue;
    pending.delete(message.id as number);
    answer(message);
  }
});

const PROTOCOL = '2025-11-25';
const init = await request('initialize', {
  protocolVersion: PROTOCOL,
  capabilities: {},
  clientInfo: { name: 'gateway-floor', version: '1.0.0' },
});
if (init.error) throw new Error(`downstream initialize failed: ${JSON.stringify(init.error)}`);
send({ jsonrpc: '2.0', method: 'notifications/initialized' });

function reply(res: ServerResponse, status: number, body?: Rpc, headers: Record<string, string> = {}): void {
  if (body === undefined) return void res.writeHead(status, headers).end();
  const json = JSON.stringify(body);
  res
    .writeHead(status, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(json)),
      ...headers,
    })
    .end(json);
}

function handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
  let message: Rpc;
  try {
    message = JSON.parse(raw) as Rpc;
  } catch {
    return reply(res, 400, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
  }
  const { id, method } = message;
  if (id === undefined || id === null) return reply(res, 202); // a notification (or a response): accepted
  if (method === 'initialize') {
    const requested = message.params?.protocolVersion;
    return reply(
      res,
      200,
      {
        jsonrpc: '2.0',
        id,
        result: {
          protocolVersion: typeof requested === 'string' ? requested : PROTOCOL,
          capabilities: { tools: {} },
          serverInfo: { name: 'gateway-floor', version: '1.0.0' },
        },
      },
      { 'mcp-session-id': randomUUID() },
    );
  }
  if (method === 'ping') return reply(res, 200, { jsonrpc: '2.0', id, result: {} });
  void request(method!, message.params).then((answer) =>
    reply(res, 200, {
      jsonrpc: '2.0',
      id,
      ...(answer.error === undefined ? { result: answer.result } : { error: answer.error }),
    }),
  );
}

const server = createServer((req, res) => {
  if (!req.url?.startsWith('/mcp')) return void res.writeHead(404).end();
  // No server-to-client stream (GET) and nothing to end (DELETE): the SDK client accepts 405.
  if (req.method !== 'POST') return void res.writeHead(405, { allow: 'POST' }).end();
  let raw = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (raw += chunk));
  req.on('end', () => handle(req, res, raw));
});
serveFloor(server, {
  beforeClose: () => {
    downstream.removeAllListeners('exit');
    downstream.kill('SIGTERM');
  },
});
