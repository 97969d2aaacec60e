/**
 * Section (b)'s floor: the least an MCP server built on the official SDK can do for the bench's round
 * trip, run as its own process (`node dist/bench/scenarios/mcp-floor-server.js`, prints
 * `listening on <url>`). It has the hub's two tools, `send_message` and `wait_for_messages`, answered
 * from memory: no store, no durability, no token check (the bearer is the agent's name), no limits.
 * It is wired the way the SDK documents it: one `NodeStreamableHTTPServerTransport` and `McpServer`
 * per 2025-era session, and `createMcpHandler` for 2026-07-28 requests, routed by `isLegacyRequest`.
 * The same two SDK clients measure it in the same run as the hub, so the hub's round trip reads as
 * this floor plus what the hub adds. For the bench's client only: it also answers `/health`, an
 * empty `/metrics` and `POST /api/v1/agents/register` (`{agent_id, token}` = the name).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { NodeStreamableHTTPServerTransport, toNodeHandler, toWebRequest } from '@modelcontextprotocol/node';
import { createMcpHandler, isLegacyRequest, McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { serveFloor } from '../lib/floor-serve.js';

interface Message {
  message_id: string;
  from: string;
  body: string;
}

/** Each agent's undelivered messages, and the wait (at most one per agent here) that takes the next. */
const inboxes = new Map<string, Message[]>();
const waiting = new Map<string, (m: Message[]) => void>();
let seq = 0;

function deliver(to: string, message: Message): void {
  const wake = waiting.get(to);
  if (wake) {
    waiting.delete(to);
    wake([message]);
    return;
  }
  const inbox = inboxes.get(to) ?? [];
  inbox.push(message);
  inboxes.set(to, inbox);
}

function take(agent: string, timeoutMs: number): Promise<Message[]> {
  const inbox = inboxes.get(agent);
  if (inbox?.length) {
    inboxes.delete(agent);
    return Promise.resolve(inbox);
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      waiting.delete(agent);
      resolve([]);
    }, timeoutMs);
    waiting.set(agent, (m) => {
      clearTimeout(timer);
      resolve(m);
    });
  });
}

const text = (value: unknown) => ({ content: [{ type: 'text' as const, text: JSON.stringify(value) }] });

/** One server with the two tools; `agentOf` names the caller of a call. */
function floorServer(agentOf: (authToken: string | undefined) => string): McpServer {
  const server = new McpServer({ name: 'mcp-floor', version: '1.0.0' });
  server.registerTool(
    'send_message',
    { description: 'Send a message', inputSchema: z.object({ to: z.string(), body: z.string() }) },
    async ({ to, body }, ctx) => {
      const message = { message_id: `m${++seq}`, from: agentOf(ctx.http?.authInfo?.token), body };
      deliver(to, message);
      return text({ message_id: message.message_id });
    },
  );
  server.registerTool(
    'wait_for_messages',
    { description: 'Wait for messages', inputSchema: z.object({ timeout_seconds: z.number().optional() }) },
    async ({ timeout_seconds }, ctx) =>
      text({ messages: await take(agentOf(ctx.http?.authInfo?.token), (timeout_seconds ?? 30) * 1000) }),
  );
  return server;
}

const bearer = (req: IncomingMessage) => /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
const authInfo = (token: string) => ({ token, clientId: token, scopes: [] });

const modern = createMcpHandler(() => floorServer((token) => token ?? ''), { legacy: 'reject' });
const sessions = new Map<string, NodeStreamableHTTPServerTransport>();

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  try {
    return raw ? JSON.parse(raw) : undefined;
  } catch {
    return undefined;
  }
}

async function mcp(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = req.method === 'POST' ? await readJson(req) : undefined;
  const token = bearer(req);
  if (!(await isLegacyRequest(await toWebRequest(req, body), body))) {
    const withAuth = { fetch: (r: Request) => modern.fetch(r, { authInfo: authInfo(token) }) };
    return toNodeHandler(withAuth)(req, res, body);
  }
  const id = req.headers['mcp-session-id'];
  let transport = typeof id === 'string' ? sessions.get(id) : undefined;
  if (!transport) {
    // A new session: its agent is the one whose bearer opened it.
    transport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (sid) => void sessions.set(sid, transport!),
    });
    transport.onclose = () => {
      if (transport!.sessionId) sessions.delete(transport!.sessionId);
    };
    await floorServer(() => token).connect(transport);
  }
  await transport.handleRequest(req, res, body);
}

const server = createServer((req, res) => {
  const url = req.url ?? '/';
  if (url === '/health')
    return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
  if (url === '/metrics') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('');
  if (url === '/api/v1/agents/register' && req.method === 'POST') {
    void readJson(req).then((b) => {
      const name = String((b as { name?: unknown })?.name ?? `agent-${++seq}`);
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ agent_id: name, token: name }));
    });
    return;
  }
  if (url.startsWith('/mcp')) {
    mcp(req, res).catch((err: Error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(err.message);
    });
    return;
  }
  res.writeHead(404).end();
});
serveFloor(server);
