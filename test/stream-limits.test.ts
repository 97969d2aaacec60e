/**
 * Live streams and slow readers: an SSE stream or WebSocket whose client stops reading while events
 * flow is closed once more than `streams.maxBufferedBytes` wait for it (the SSE stream with a final
 * event saying why), it resumes from its cursor without losing a message, and a hub running in its
 * own process keeps its memory bounded under several such streams. An SSE stream without a token
 * gets agent presence only, nothing private.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { HubClient } from '../src/client/hub-client.js';
import { SwitchboardError } from '../src/client/errors.js';
import { startTestHub, type TestHub } from './helpers/hub.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'switchboard.js');
const LIMIT = 256 * 1024;
const BODY = 'x'.repeat(100 * 1024);

let t: TestHub | undefined;
const sockets: Socket[] = [];
const children: ChildProcess[] = [];
const homes: string[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const child of children.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  }
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
  await t?.close();
  t = undefined;
});

/**
 * Opens `GET /api/v1/events` on a raw socket and resolves once the hub has said it is connected;
 * the socket is then paused (the client stops reading). `text()` is everything read so far.
 */
function openStalledStream(
  url: string,
  headers: Record<string, string>,
): Promise<{ socket: Socket; text: () => string; ended: Promise<void> }> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  sockets.push(socket);
  let text = '';
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.on('data', (chunk: Buffer) => {
      const wasConnected = text.includes(': connected as');
      text += chunk.toString('utf8');
      if (!wasConnected && text.includes(': connected as')) {
        socket.pause();
        resolve({ socket, text: () => text, ended });
      }
    });
    const lines = Object.entries({ host: `${hostname}:${port}`, accept: 'text/event-stream', ...headers })
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    socket.write(`GET /api/v1/events HTTP/1.1\r\n${lines}\r\n`);
  });
}

/** SSE frames of a (chunked) response body: event type, data and id of each. */
function framesOf(raw: string): Array<{ event: string; data: string; id?: string }> {
  const body = raw.slice(raw.indexOf('\r\n\r\n') + 4).replace(/\r\n[0-9a-f]+\r\n/g, '');
  return body
    .split('\n\n')
    .map((block) => ({
      event: /^event: (.*)$/m.exec(block)?.[1] ?? '',
      data: /^data: (.*)$/m.exec(block)?.[1] ?? '',
      id: /^id: (.*)$/m.exec(block)?.[1],
    }))
    .filter((f) => f.event);
}

async function closedForSlowness(h: TestHub, kind: string): Promise<number> {
  const metric = await h.hub.metrics.connectionsClosed.get();
  return metric.values.find((v) => v.labels.kind === kind && v.labels.reason === 'slow')?.value ?? 0;
}

/** Sends 100 KiB messages (10 at a time) until `done()` or `max` were sent; returns how many. */
async function flood(
  h: { url: string },
  token: string,
  to: string,
  max: number,
  done: () => Promise<boolean>,
): Promise<number> {
  let sent = 0;
  while (sent < max && !(await done())) {
    const batch = await Promise.all(
      Array.from({ length: 10 }, () =>
        fetch(`${h.url}/api/v1/messages`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ to, body: BODY }),
        }),
      ),
    );
    for (const res of batch) expect(res.status).toBe(200);
    sent += batch.length;
  }
  return sent;
}

describe('a slow SSE reader', () => {
  it('is closed with an event saying why, and resumes from its last event id without losing a message', async () => {
    t = await startTestHub({ streams: { maxBufferedBytes: LIMIT }, rateLimit: { enabled: false } });
    const h = t;
    const a = await h.register('A');
    const b = await h.register('B');
    const stream = await openStalledStream(h.url, { authorization: `Bearer ${b.token}` });

    // 300 × 100 KiB is far more than kernel buffers and the limit hold together.
    const sent = await flood(h, a.token, b.id, 300, async () => (await closedForSlowness(h, 'sse')) > 0);
    expect(await closedForSlowness(h, 'sse')).toBe(1);
    expect(sent).toBeLessThan(300);

    stream.socket.resume();
    await stream.ended;
    const frames = framesOf(stream.text());
    const last = frames.at(-1)!;
    expect(last.event).toBe('error');
    const error = JSON.parse(last.data);
    expect(error).toMatchObject({
      code: 'unavailable',
      details: { limit: LIMIT, setting: 'streams.maxBufferedBytes' },
    });
    expect(error.message).toMatch(/Too slow.*Last-Event-ID/);
    const seen = frames.filter((f) => f.event === 'message');
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.length).toBeLessThan(sent);

    // Resume after the last id it got: every other message arrives, none twice.
    const lastId = seen.at(-1)!.id!;
    const resume = new AbortController();
    const res = await fetch(`${h.url}/api/v1/events`, {
      headers: { authorization: `Bearer ${b.token}`, 'last-event-id': lastId },
      signal: resume.signal,
    });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let rest = '';
    const ids = () => [...rest.matchAll(/^id: (\d+)$/gm)].map((m) => m[1]);
    while (seen.length + ids().length < sent) {
      const { value, done } = await reader.read();
      if (done) break;
      rest += decoder.decode(value, { stream: true });
    }
    resume.abort();
    const all = [...seen.map((f) => f.id!), ...ids()];
    expect(all).toHaveLength(sent);
    expect(new Set(all).size).toBe(sent);
  });

  it('the TypeScript client reports the hub ending a stream it read too slowly as an error with the reason', async () => {
    t = await startTestHub({ streams: { maxBufferedBytes: LIMIT }, rateLimit: { enabled: false } });
    const h = t;
    const a = await h.register('A');
    const b = await h.register('B');
    const events = new HubClient({ url: h.url, token: b.token }).events();
    // Pull once so the stream is open, then stop reading while the messages flow.
    const pending = events.next();
    await flood(h, a.token, b.id, 300, async () => (await closedForSlowness(h, 'sse')) > 0);
    expect(await closedForSlowness(h, 'sse')).toBe(1);
    await pending;
    let thrown: unknown;
    try {
      for await (const _event of events) {
        /* drain what arrived before the end */
      }
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(SwitchboardError);
    expect(thrown).toMatchObject({ code: 'unavailable', details: { setting: 'streams.maxBufferedBytes' } });
    expect((thrown as Error).message).toMatch(/Too slow/);
  });

  it('a WebSocket that stops reading is closed with 1013 naming the same setting', async () => {
    t = await startTestHub({ streams: { maxBufferedBytes: LIMIT }, rateLimit: { enabled: false } });
    const h = t;
    const a = await h.register('A');
    const b = await h.register('B');
    const ws = new WebSocket(`${h.url.replace('http', 'ws')}/ws/${b.id}`, {
      headers: { authorization: `Bearer ${b.token}` },
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('message', () => resolve());
      ws.once('error', reject);
    });
    ws.pause();
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
    );
    await flood(h, a.token, b.id, 300, async () => (await closedForSlowness(h, 'websocket')) > 0);
    expect(await closedForSlowness(h, 'websocket')).toBe(1);
    ws.resume();
    const { code, reason } = await closed;
    expect(code).toBe(1013);
    expect(reason).toContain('streams.maxBufferedBytes');
  });
});

describe('SSE without a token', () => {
  it('gets agent presence only: no metadata, description or session id, no messages', async () => {
    t = await startTestHub();
    const h = t;
    const stream = await openStalledStream(h.url, {});
    stream.socket.resume();
    const secret = {
      metadata: { secret: 'meta-secret-1' },
      description: 'desc-secret-2',
      session_id: 'session-secret-3',
    };
    const a = await h.register('Private', { agent_id: 'private', capabilities: ['cap-secret-4'], ...secret });
    const b = await h.register('Other');
    const again = await h.api('POST', '/api/v1/agents/register', {
      token: a.token,
      body: { agent_id: 'private', name: 'Private', ...secret, metadata: { secret: 'meta-secret-5' } },
    });
    expect(again.status).toBe(200);
    expect(
      (await h.api('POST', '/api/v1/messages', { token: a.token, body: { to: b.id, body: 'hidden-6' } }))
        .status,
    ).toBe(200);
    expect((await h.api('DELETE', `/api/v1/agents/${a.id}`, { token: a.token })).status).toBe(200);
    while (!stream.text().includes('event: agent.retired')) {
      await new Promise((r) => stream.socket.once('data', r));
    }
    const frames = framesOf(stream.text());
    const presence = ['agent.registered', 'agent.updated', 'agent.status', 'agent.retired'];
    for (const f of frames) expect(presence).toContain(f.event);
    expect(frames.map((f) => f.event)).toEqual(expect.arrayContaining(['agent.updated', 'agent.retired']));
    const registered = JSON.parse(frames.find((f) => f.event === 'agent.registered')!.data);
    expect(registered.agent).toEqual({
      agent_id: 'private',
      name: 'Private',
      status: 'active',
      project: 'default',
    });
    for (const hidden of ['secret-1', 'secret-2', 'secret-3', 'secret-4', 'secret-5', 'hidden-6'])
      expect(stream.text()).not.toContain(hidden);
  });
});

describe('a hub in its own process', () => {
  it('keeps its memory bounded while several SSE readers stall under a flood of events', async () => {
    const home = mkdtempSync(join(tmpdir(), 'switchboard-streams-'));
    homes.push(home);
    const config = join(home, 'config.json');
    const adminToken = `admin-${'k'.repeat(32)}`;
    writeFileSync(
      config,
      JSON.stringify({
        adminToken,
        streams: { maxBufferedBytes: 1024 * 1024 },
        rateLimit: { enabled: false },
      }),
    );
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env))
      if (!k.startsWith('SWITCHBOARD_') && k !== 'LOG_LEVEL') env[k] = v;
    const proc = spawn(
      process.execPath,
      [BIN, 'serve', '--port', '0', '--home', home, '--log-level', 'warn', '--config', config],
      { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(proc);
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      proc.stdout!.on('data', (d) => {
        out += String(d);
        const m = /switchboard listening on (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]);
      });
      proc.once('exit', (code) => reject(new Error(`hub exited (${code})`)));
    });
    const memory = (field: 'VmRSS' | 'VmHWM') =>
      Number(
        new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'))![1],
      ) * 1024;
    const api = async (path: string, body?: unknown, token?: string): Promise<any> => {
      const res = await fetch(url + path, {
        method: body ? 'POST' : 'GET',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
      return res.headers.get('content-type')?.includes('json') ? res.json() : res.text();
    };
    const sender = await api('/api/v1/agents/register', { name: 'Sender' });
    const target = await api('/api/v1/agents/register', { name: 'Target' });
    const closedStreams = async () =>
      Number(
        /switchboard_connections_closed_total\{kind="sse",reason="slow"\} (\d+)/.exec(
          await api('/metrics'),
        )?.[1] ?? 0,
      );

    // Warm up (code paths, sqlite, V8 heap) before the baseline.
    await flood({ url }, sender.token, target.agent_id, 40, async () => false);
    const baseline = memory('VmRSS');
    const STREAMS = 8;
    const streams = await Promise.all(
      Array.from({ length: STREAMS }, () =>
        openStalledStream(url, { authorization: `Bearer ${adminToken}` }),
      ),
    );
    // Every admin stream gets each message in full: 300 × 100 KiB is ~30 MiB per stream, ~240 MiB in all.
    await flood({ url }, sender.token, target.agent_id, 300, async () => false);
    const growth = memory('VmHWM') - baseline;
    expect(growth).toBeLessThan(100 * 1024 * 1024);
    while ((await closedStreams()) < STREAMS) await new Promise((r) => setTimeout(r, 20));
    for (const s of streams) s.socket.destroy();
  }, 120_000);
});
