/** Official MCP SDK clients against a test hub: a 2025-era session client and a 2026-07-28 client. */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

export interface McpClientOptions {
  /** Sent as Authorization: Bearer <token> on every request. */
  token?: string;
  name?: string;
  /** Tool profiles for `/mcp?tools=<profiles>` (default: none, all profiles). */
  tools?: string;
}

function transportFor(url: string, opts: McpClientOptions): StreamableHTTPClientTransport {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const endpoint = new URL('/mcp', url);
  if (opts.tools !== undefined) endpoint.searchParams.set('tools', opts.tools);
  return new StreamableHTTPClientTransport(endpoint, { requestInit: { headers } });
}

/** A 2025-era client: plain initialize handshake (2025-11-25), a session, Mcp-Session-Id. */
export async function connect2025(url: string, opts: McpClientOptions = {}): Promise<Client> {
  const client = new Client(
    { name: opts.name ?? 'test-2025', version: '1.0.0' },
    { versionNegotiation: { mode: 'legacy' } },
  );
  await client.connect(transportFor(url, opts));
  return client;
}

/** A 2026-07-28 client: stateless, every request carries its _meta envelope. */
export async function connect2026(url: string, opts: McpClientOptions = {}): Promise<Client> {
  const client = new Client(
    { name: opts.name ?? 'test-2026', version: '1.0.0' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  await client.connect(transportFor(url, opts));
  return client;
}

/** A client that negotiates (server/discover probe, falling back to initialize): the hub answers 2026-07-28. */
export async function connectAuto(url: string, opts: McpClientOptions = {}): Promise<Client> {
  const client = new Client(
    { name: opts.name ?? 'test-auto', version: '1.0.0' },
    { versionNegotiation: { mode: 'auto' } },
  );
  await client.connect(transportFor(url, opts));
  return client;
}

/** The JSON a tool answered with (structuredContent), or throws with its error text. */
export function structured<T = any>(result: {
  structuredContent?: unknown;
  isError?: boolean;
  content?: unknown;
}): T {
  if (result.isError) throw new Error(`tool error: ${textOf(result)}`);
  return result.structuredContent as T;
}

export function textOf(result: { content?: unknown }): string {
  const content = (result.content ?? []) as Array<{ type: string; text?: string }>;
  return content.map((c) => c.text ?? '').join('\n');
}

const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

/** One raw JSON-RPC POST to /mcp; the answer's JSON (from plain JSON or the first SSE data line). */
export async function post(
  url: string,
  message: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(`${url}/mcp`, {
    method: 'POST',
    headers: { ...HEADERS, ...headers },
    body: JSON.stringify({ jsonrpc: '2.0', ...message }),
  });
  const text = await res.text();
  // An SSE answer may carry notifications (e.g. tools/list_changed) before the response to this request.
  const events = [...text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]!));
  const body = events.length
    ? (events.find((e) => e.id === message.id) ?? events.at(-1))
    : text
      ? JSON.parse(text)
      : undefined;
  return { status: res.status, headers: res.headers, body };
}
