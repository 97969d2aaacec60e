/**
 * No log line holds a token: the hub's own logger (as `serve` builds it) writes to a captured stream
 * while requests carry `?token=` on refused routes (Host, Origin), on a normal SSE stream and on the
 * WebSocket; the log is read back and searched for the tokens.
 */
import { request } from 'node:http';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createLogger } from '../src/core/logger.js';
import { hubForFile } from './helpers/hub.js';

let log = '';
const sink = new PassThrough();
sink.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')));

const t = hubForFile({}, { logger: createLogger('debug', sink) });

/** A GET with a Host header fetch would not send; resolves with the status once answered. */
function getWithHost(path: string, host: string): Promise<number> {
  const url = new URL(path, t.url);
  return new Promise((resolve, reject) => {
    const req = request(
      { hostname: url.hostname, port: url.port, path, method: 'GET', headers: { host } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Resolves once the log holds a line matching `pattern` (lines are written asynchronously). */
async function logged(pattern: RegExp): Promise<void> {
  while (!pattern.test(log)) await new Promise((r) => setTimeout(r, 10));
}

describe('tokens never reach the log', () => {
  it('refused (Host, Origin) and normal requests with ?token= log the path, never the token', async () => {
    const agent = await t.register('Logged');
    const fake = `sb_${'Q'.repeat(43)}`;
    const port = new URL(t.url).port;

    expect(await getWithHost(`/api/v1/events?token=${agent.token}`, `evil.example:${port}`)).toBe(403);
    const origin = await fetch(`${t.url}/api/v1/agents?token=${fake}&since=0`, {
      headers: { origin: 'http://evil.example' },
    });
    expect(origin.status).toBe(403);

    const sse = new AbortController();
    const stream = await fetch(`${t.url}/api/v1/events?token=${agent.token}`, { signal: sse.signal });
    expect(stream.status).toBe(200);
    sse.abort();

    const ws = new WebSocket(`${t.url.replace('http', 'ws')}/ws/${agent.id}?token=${agent.token}`);
    await new Promise<void>((resolve, reject) => {
      ws.once('message', () => resolve());
      ws.once('error', reject);
    });
    ws.close();

    const unknown = await fetch(`${t.url}/no/such/route?token=${agent.token}`);
    expect(unknown.status).toBe(404);
    const wrong = await fetch(`${t.url}/api/v1/events?token=${fake}`);
    expect(wrong.status).toBe(401);

    await logged(/"msg":"host refused"/);
    await logged(/"msg":"origin refused"/);
    await logged(/"url":"\/no\/such\/route"/);
    expect(log).toMatch(/"url":"\/api\/v1\/events\?\[redacted\]"/);
    expect(log).not.toContain(agent.token);
    expect(log).not.toContain(fake);
    expect(log).not.toContain('token=sb_');
  });

  it('the logger itself redacts URLs in any field, request objects, errors and free text', async () => {
    let text = '';
    const out = new PassThrough();
    out.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    const logger = createLogger('info', out);
    const secret = `sb_${'z'.repeat(43)}`;
    logger.warn({ url: `/api/v1/events?token=${secret}` }, 'url field');
    logger.warn({ req: { method: 'GET', url: `/ws/a?token=${secret}`, headers: {} } }, 'req object');
    logger.warn({ endpoint: `https://user:${secret}@mcp.example.com/mcp?api_key=${secret}` }, 'downstream');
    logger.error({ err: new Error(`fetch https://mcp.example.com/x?key=${secret} failed`) }, 'error');
    logger.info(`connecting to http://admin:${secret}@localhost:9000/mcp`);
    logger.info({ reason: `bearer ${secret} refused` }, 'bare token');
    logger.child({ server: 'x' }).warn({ url: `http://h/p?token=${secret}` }, 'child');
    await new Promise((r) => setImmediate(r));
    const lines = text.trim().split('\n');
    expect(lines).toHaveLength(7);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(text).not.toContain(secret);
    expect(text).toContain('mcp.example.com/mcp?[redacted]');
    expect(text).toContain('"url":"/api/v1/events?[redacted]"');
  });
});
