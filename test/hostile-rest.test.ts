/**
 * Hostile input against the REST routes: garbage and polluted bodies, wrong content types, malformed
 * query strings, bad cursors, bad path parameters, oversized bodies (413, also chunked), odd headers.
 * Always a 4xx JSON error with a code and message (or a success), never a 5xx; a rejected request
 * writes nothing; the hub stays up and Object.prototype stays clean.
 */
import { request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './helpers/hub.js';
import {
  contentTypes,
  expectNoServerError,
  expectPrototypesClean,
  fingerprint,
  garbageBody,
  hostileString,
  hostileValue,
  nestedJson,
  pollutedJson,
  raw,
} from './hostile-support.js';

const BODY_LIMIT = 256 * 1024;

let t: TestHub;
let alpha: { id: string; token: string };
let callers: Array<string | undefined>;
let messageId: string;
let routes: Array<{ op: string; method: string; path: string }>;

beforeAll(async () => {
  t = await startTestHub({
    rateLimit: { enabled: false },
    http: { bodyLimitBytes: BODY_LIMIT },
    messages: { defaultWaitSeconds: 0, maxWaitSeconds: 1 },
  });
  alpha = await t.register('Alpha', { agent_id: 'alpha', capabilities: ['x'] });
  const bee = await t.register('Bee', { agent_id: 'bee' });
  await t.register('Victim', { agent_id: 'victim' });
  messageId = (
    await t.api('POST', '/api/v1/messages', { token: bee.token, body: { to: 'alpha', body: 'hello' } })
  ).body.message_id;
  await t.api('POST', '/api/v1/messages', { token: alpha.token, body: { to: 'bee', body: 'hello bee' } });
  callers = [undefined, alpha.token, t.adminToken, 'sb_bogus-token'];
  routes = [...t.hub.invoker.ops.values()]
    .filter((op) => op.http)
    .map((op) => ({ op: op.name, method: op.http!.method, path: op.http!.path }));
});

afterAll(async () => {
  await t?.close();
});

/** A route's path with its parameters filled: valid fixture ids unless `segment` is given. */
function fill(path: string, segment?: string, method = 'GET'): string {
  return path.replace(/:(\w+)/g, (_m, name: string) => {
    if (segment !== undefined) return segment;
    // Never let a random valid body retire the agent the other checks act as.
    if (name === 'agent_id') return method === 'DELETE' ? 'victim' : 'alpha';
    return messageId;
  });
}

/** encodeURIComponent, but lone surrogates (which it refuses) become U+FFFD first. */
function encode(s: string): string {
  return encodeURIComponent(
    s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'),
  );
}

async function check(
  method: string,
  path: string,
  opts: { body?: string; headers?: Record<string, string>; token?: string } = {},
) {
  const headers = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const before = await fingerprint(t);
  const res = await raw(t, method, path, { body: opts.body, headers });
  const what = `${method} ${path.slice(0, 200)} [${headers['content-type'] ?? '-'}] ${String(opts.body ?? '').slice(0, 120)}`;
  expectNoServerError(res, what);
  if (res.status >= 400) expect(await fingerprint(t), `rejected but wrote: ${what}`).toBe(before);
  return res;
}

/** Sends a body in chunks (no Content-Length), as a streaming client would. */
function chunked(path: string, token: string, bytes: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(t.url + path);
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${token}`,
          'transfer-encoding': 'chunked',
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => {
          text += String(d);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.setTimeout(20_000, () => req.destroy(new Error('timeout')));
    req.write('{"to":"bee","body":"');
    const chunk = 'y'.repeat(16 * 1024);
    let sent = 0;
    const pump = () => {
      while (sent < bytes) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end('"}');
    };
    pump();
  });
}

/** A GET carrying a JSON body (fetch refuses to send one). */
function getWithBody(path: string, token: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(t.url + path);
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: 'GET',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${token}`,
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => {
          text += String(d);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('hostile input: REST routes', () => {
  it('answers oversized bodies with 413 payload_too_large, chunked or not, and stores nothing', async () => {
    const before = await fingerprint(t);
    const big = JSON.stringify({ to: 'bee', body: 'z'.repeat(BODY_LIMIT + 10) });
    for (const path of [
      '/api/v1/messages',
      '/api/v1/agents/register',
      '/api/v1/messages/ack',
      '/api/v1/ops/send_message',
    ]) {
      for (const token of [alpha.token, undefined]) {
        const res = await check('POST', path, {
          body: big,
          token,
          headers: { 'content-type': 'application/json' },
        });
        expect(res.status, path).toBe(413);
        expect(res.json.error.code).toBe('payload_too_large');
      }
      const streamed = await chunked(path, alpha.token, BODY_LIMIT * 2);
      expect(streamed.status, `${path} chunked`).toBe(413);
      expect(JSON.parse(streamed.text).error.code).toBe('payload_too_large');
    }
    // Just under the HTTP limit but over the message body limit of the hub's default (256 KiB JSON): also 413.
    const almost = JSON.stringify({ to: 'bee', body: 'z'.repeat(BODY_LIMIT - 100) });
    const res = await check('POST', '/api/v1/messages', {
      body: almost,
      token: alpha.token,
      headers: { 'content-type': 'application/json' },
    });
    expect([200, 413]).toContain(res.status);
    if (res.status === 413) expect(res.json.error.code).toBe('payload_too_large');
    else expect(await fingerprint(t)).not.toBe(before);
    expect((await raw(t, 'GET', '/health')).status).toBe(200);
  });

  it('refuses deep nesting and prototype-pollution bodies on every POST route', async () => {
    const posts = routes.filter((r) => r.method !== 'GET');
    for (const r of posts) {
      for (const body of [
        nestedJson(20_000),
        `{"to":"bee","body":${nestedJson(5_000)}}`,
        `{"name":"x","metadata":${nestedJson(5_000, true)}}`,
        '{"__proto__":{"polluted":"yes"}}',
        '{"to":"bee","body":{"__proto__":{"polluted":"yes"}}}',
        '{"name":"x","metadata":{"constructor":{"prototype":{"polluted":"yes"}}}}',
      ]) {
        for (const token of [alpha.token, t.adminToken]) {
          const res = await check(r.method, fill(r.path, undefined, r.method), {
            body,
            token,
            headers: { 'content-type': 'application/json' },
          });
          expect(res.status, `${r.method} ${r.path} ${body.slice(0, 40)}`).toBeGreaterThanOrEqual(400);
        }
      }
    }
    expectPrototypesClean();
  });

  it('answers bad cursors with 400 invalid_input wherever a cursor is taken', async () => {
    const bad = [
      'abc',
      '-1',
      '1.5',
      '1e5',
      '0x10',
      '9999999999999999999999',
      ' 1',
      '2024-13-45',
      '2024-01-01Tnope',
      'null',
      '[]',
      '%00',
      '%E0%A4%A',
    ];
    for (const since of bad) {
      const q = since.startsWith('%') ? since : encodeURIComponent(since);
      for (const path of [
        `/api/v1/messages?since=${q}`,
        `/api/v1/messages/wait?timeout_seconds=0&since=${q}`,
        `/api/v1/events?since=${q}`,
      ]) {
        const res = await check('GET', path, { token: alpha.token });
        expect(res.status, `${path}`).toBe(400);
        expect(res.json.error.code).toBe('invalid_input');
        expect(res.json.error.message).toMatch(/since|cursor|url|query/i);
      }
    }
    // Repeated query parameters are refused, not passed on as lists (a repeated token was a 500).
    for (const path of [
      '/api/v1/events?token=a&token=b',
      '/api/v1/events?since=1&since=2',
      `/api/v1/events?token=${alpha.token}&token=${alpha.token}`,
    ]) {
      const res = await check('GET', path);
      expect(res.status, path).toBe(400);
      expect(res.json.error.message).toMatch(/once/);
    }
    // A cursor far ahead of anything is valid and simply returns nothing.
    const ahead = await check('GET', '/api/v1/messages?since=999999999999999', { token: alpha.token });
    expect(ahead.status).toBe(200);
    expect(ahead.json.messages).toEqual([]);
  });

  it('answers bad path parameters with a 4xx JSON error', async () => {
    const segments = [
      '%',
      '%zz',
      '%E0%A4%A',
      '%ED%A0%80',
      '%C0%AF',
      'x'.repeat(129),
      'a%2Fb',
      '%00',
      '..',
      '%2e%2e',
      '__proto__',
      'constructor',
      '%20',
    ];
    for (const r of routes.filter((x) => x.path.includes(':'))) {
      for (const seg of segments) {
        for (const token of [alpha.token, t.adminToken]) {
          const res = await check(r.method, fill(r.path, seg), {
            token,
            body: r.method === 'GET' ? undefined : '{}',
            headers: r.method === 'GET' ? {} : { 'content-type': 'application/json' },
          });
          expect(res.status, `${r.method} ${fill(r.path, seg)}`).toBeGreaterThanOrEqual(400);
        }
      }
    }
    // Bad percent-encoding gets the hub's error shape, not the framework's.
    const badUrl = await check('GET', '/api/v1/agents/%E0%A4%A');
    expect(badUrl.status).toBe(400);
    expect(badUrl.json.error.code).toBe('invalid_input');
    // An id over the length limit says so; an unknown one is a 404.
    expect((await check('GET', `/api/v1/agents/${'x'.repeat(129)}`)).status).toBe(400);
    expect((await check('GET', '/api/v1/agents/nobody-at-all')).json.error.code).toBe('not_found');
    // ~1,500 calls, each between two fingerprints (on PostgreSQL every table is read each time).
  }, 180_000);

  it('answers unknown routes, wrong methods, plain HTTP to the WebSocket endpoint and odd headers with JSON errors', async () => {
    for (const [method, path] of [
      ['PUT', '/api/v1/messages'],
      ['PATCH', '/api/v1/agents/alpha'],
      ['POST', '/api/v1/agents'],
      ['GET', '/api/v2/agents'],
      ['GET', '/api/v1/ops/hub_status'],
      ['POST', '/api/v1/ops/'],
      ['POST', '/api/v1/ops/no_such_op'],
      ['POST', '/api/v1/ops/__proto__'],
      ['POST', '/api/v1/ops/constructor'],
      ['GET', '/ws/alpha'],
      ['GET', '/ws/'],
      ['GET', '/%'],
    ] as const) {
      const res = await check(method, path, {
        body: method === 'GET' ? undefined : '{}',
        headers: method === 'GET' ? {} : { 'content-type': 'application/json' },
      });
      expect(res.status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
    }
    const ws = await check('GET', '/ws/alpha', { token: alpha.token });
    expect(ws.status).toBe(400);
    expect(ws.json.error.message).toMatch(/WebSocket/);

    const origin = await check('POST', '/api/v1/messages', {
      token: alpha.token,
      body: '{"to":"bee","body":"x"}',
      headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
    });
    expect(origin.status).toBe(403);
    const oddHeaders: Array<Record<string, string>> = [
      { 'x-request-id': '../../etc/passwd\u0001'.replace(/[^\x20-\x7e]/g, '?') },
      { 'x-request-id': 'x'.repeat(5000) },
      { authorization: `Bearer ${'x'.repeat(4000)}` },
      { authorization: 'Bearer \t' },
      { authorization: 'Token abc' },
      { origin: 'null' },
      { origin: 'http://localhost.evil.example' },
      { accept: 'text/html' },
    ];
    for (const headers of oddHeaders) {
      await check('GET', '/api/v1/agents/me', { headers });
    }
    // A GET with a body is not read as input and breaks nothing.
    const withBody = await getWithBody('/api/v1/agents/me', alpha.token, '{"agent_id":"bee"}');
    expect(withBody.status).toBeLessThan(500);
  });

  it('property: any body and content type on any route, as any caller', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.nat({ max: 3 }),
        fc.constantFrom(...contentTypes),
        fc.oneof(
          garbageBody,
          pollutedJson,
          hostileValue.map((v) => JSON.stringify(v) ?? 'null'),
        ),
        async (pick, who, type, body) => {
          const r = routes[pick % routes.length];
          const path =
            fill(r.path, undefined, r.method) + (r.op === 'wait_for_messages' ? '?timeout_seconds=0' : '');
          await check(r.method, path, {
            body,
            token: callers[who],
            headers: type ? { 'content-type': type } : {},
          });
        },
      ),
      { numRuns: 250 },
    );
    expectPrototypesClean();
  });

  it('property: malformed query strings on every GET route', async () => {
    const gets = routes.filter((r) => r.method === 'GET');
    const key = fc.oneof(
      fc.constantFrom(
        'since',
        'limit',
        'agent_id',
        'capability',
        'status',
        'project',
        'query',
        'unread_only',
        'mark_read',
        'include_retired',
        'timeout_seconds',
        '__proto__',
        'constructor',
        '__proto__[polluted]',
        'constructor[prototype][polluted]',
        'a[]',
        '',
      ),
      fc.string({ maxLength: 10 }),
    );
    // Short enough that the request line stays under Node's header size limit (a 431 from the HTTP parser).
    const value = fc.oneof(
      hostileString.filter((s) => s.length < 300),
      fc.constantFrom('', '%', '%zz', '%E0%A4%A', 'a&b', '=', '[]', 'true', '1e999'),
    );
    const pair = fc
      .tuple(key, value, fc.boolean())
      .map(([k, v, rawEncoding]) =>
        rawEncoding
          ? `${k.replace(/[#\s&=]/g, '_')}=${v.replace(/[#\s]/g, '_')}`
          : `${encode(k)}=${encode(v)}`,
      );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...gets),
        fc.array(pair, { maxLength: 6 }),
        fc.nat({ max: 3 }),
        async (r, pairs, who) => {
          // A wait must never block the suite: timeout_seconds=0 goes last (the last value of a repeated key wins).
          const extra = r.op === 'wait_for_messages' ? ['timeout_seconds=0'] : [];
          const qs = [...pairs, ...extra].join('&');
          let path = `${fill(r.path)}?${qs}`;
          try {
            new URL(t.url + path);
          } catch {
            path = `${fill(r.path)}?${encodeURI(qs)}`;
          }
          await check('GET', path, { token: callers[who] });
        },
      ),
      { numRuns: 250 },
    );
    expectPrototypesClean();
  });

  it('property: any path parameter on every route with one', async () => {
    const withParams = routes.filter((r) => r.path.includes(':'));
    const segment = fc.oneof(
      hostileString.filter((s) => s.length > 0 && s.length < 500).map((s) => encode(s)),
      fc.constantFrom('%', '%%', '%zz', '%E0%A4%A', '%ED%A0%80', '%FF', '%C0%AF', '%2F', '%00', '.', '..'),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...withParams), segment, fc.nat({ max: 3 }), async (r, seg, who) => {
        await check(r.method, fill(r.path, seg), {
          token: callers[who],
          body: r.method === 'GET' ? undefined : '{}',
          headers: r.method === 'GET' ? {} : { 'content-type': 'application/json' },
        });
      }),
      { numRuns: 200 },
    );
  });

  it('is still up, with its data intact', async () => {
    expect((await raw(t, 'GET', '/health')).status).toBe(200);
    const me = await t.api('GET', '/api/v1/agents/me', { token: alpha.token });
    expect(me.status).toBe(200);
    const inbox = await t.api('GET', '/api/v1/messages?since=0&mark_read=false', { token: alpha.token });
    expect(inbox.body.messages.some((m: any) => m.message_id === messageId)).toBe(true);
    expectPrototypesClean();
  });
});
