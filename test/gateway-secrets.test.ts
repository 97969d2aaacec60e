/**
 * Secrets: `${env:NAME}` and `${file:PATH}` references in a downstream server's env and headers are
 * resolved at connect time and reach the server (stdio env, HTTP headers), but never appear in any
 * operation's output, in the event stream, in the hub's log (even when the server prints them on
 * stderr) or in the database (the SQLite file, or every PostgreSQL row).
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/core/logger.js';
import { connect2025, textOf } from './mcp-clients.js';
import { startTestHub, type TestHub } from './helpers/hub.js';
import { storedText } from './helpers/store-rows.js';
import { eventually, FIXTURE, type HttpDownstream, startHttpFixture } from './gateway-support.js';

const envSecret = `env-secret-${randomUUID()}`;
const fileSecret = `file-secret-${randomUUID()}`;
const envName = `SB_GW_SECRET_${randomUUID().slice(0, 8).toUpperCase()}`;
let secretFile: string;
let logText = '';
let eventsText = '';
const events = new AbortController();
let t: TestHub;
let web: HttpDownstream;
let client: Client;

async function health(name: string) {
  const res = await t.api('GET', `/api/v1/gateway/health?name=${name}`, { token: t.adminToken });
  return res.body.servers[0];
}

beforeAll(async () => {
  process.env[envName] = envSecret;
  web = await startHttpFixture();
  const logStream = new Writable({
    write(chunk, _enc, done) {
      logText += chunk.toString();
      done();
    },
  });
  t = await startTestHub(
    {
      gateway: {
        servers: [
          {
            name: 'local',
            command: process.execPath,
            args: [FIXTURE],
            env: { API_KEY: `\${env:${envName}}` },
          },
          {
            name: 'web',
            url: web.url,
            headers: { authorization: `Bearer \${env:${envName}}` },
          },
        ],
      },
    },
    { logger: createLogger('debug', logStream) },
  );
  secretFile = join(t.home, 'secret.txt');
  writeFileSync(secretFile, `${fileSecret}\n`, { mode: 0o600 });
  // The event stream, read in the background for the whole test.
  void fetch(`${t.url}/api/v1/events`, {
    headers: { authorization: `Bearer ${t.adminToken}` },
    signal: events.signal,
  })
    .then(async (res) => {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>)
        eventsText += Buffer.from(chunk).toString('utf8');
    })
    .catch(() => {});
  await eventually(async () => (await health('local')).state === 'ready', 20_000, 'local');
  await eventually(async () => (await health('web')).state === 'ready', 20_000, 'web');
  client = await connect2025(t.url, { token: t.adminToken });
});

afterAll(async () => {
  events.abort();
  await client?.close().catch(() => {});
  await t?.close();
  await web?.kill();
  delete process.env[envName];
});

describe('gateway secrets', () => {
  it('injects env references into a stdio server and header references into an HTTP server', async () => {
    const env = await client.callTool({ name: 'local__fixture_env', arguments: { name: 'API_KEY' } });
    expect(textOf(env)).toBe(envSecret);
    const echo = await client.callTool({ name: 'web__fixture_echo', arguments: { text: 'h' } });
    const headers = (echo.structuredContent as { headers: Record<string, string> }).headers;
    expect(headers.authorization).toBe(`Bearer ${envSecret}`);
  });

  it('reads ${file:PATH} at connect time (add_server); a missing reference is named, never its value', async () => {
    const added = await t.api('POST', '/api/v1/gateway/servers', {
      token: t.adminToken,
      body: {
        name: 'filed',
        command: process.execPath,
        args: [FIXTURE],
        env: { FILE_KEY: `\${file:${secretFile}}`, API_KEY: `\${env:${envName}}` },
      },
    });
    expect(added.status).toBe(201);
    await eventually(async () => (await health('filed')).state === 'ready', 20_000, 'filed');
    const res = await client.callTool({ name: 'filed__fixture_env', arguments: { name: 'FILE_KEY' } });
    expect(textOf(res)).toBe(fileSecret);

    const broken = await t.api('POST', '/api/v1/gateway/servers', {
      token: t.adminToken,
      body: {
        name: 'broken',
        command: process.execPath,
        args: [FIXTURE],
        env: { X: '${env:SB_GW_NOT_SET}' },
      },
    });
    expect(broken.status).toBe(201);
    const down = await eventually(async () => {
      const h = await health('broken');
      return h.last_error ? h : undefined;
    });
    expect(down.health).toBe('unhealthy');
    expect(down.last_error).toContain('broken: env.X refers to ${env:SB_GW_NOT_SET}, which is not set');
  });

  it('no operation output, event, log line or database page contains a secret value', async () => {
    // Everything readable over REST without path parameters, as the admin.
    const outputs: string[] = [];
    for (const op of t.hub.invoker.ops.values()) {
      const http = op.http;
      if (!http || http.method !== 'GET' || http.path.includes(':')) continue;
      const res = await t.api('GET', http.path, { token: t.adminToken });
      outputs.push(`${http.path} ${JSON.stringify(res.body)}`);
    }
    const all = outputs.join('\n');
    expect(all).toContain('/api/v1/gateway/servers');
    expect(all).toContain('API_KEY'); // env keys are shown, values are not
    expect(all).toContain('${env:'); // nor resolved: neither in the config nor in list_servers

    await eventually(() => eventsText.includes('gateway.'), 10_000, 'gateway events');
    expect(logText).toContain('fixture env API_KEY=[secret]'); // the server's stderr, masked
    expect(logText).toContain('fixture env FILE_KEY=[secret]');

    const db = await storedText(t);
    expect(db).toContain('gateway_servers');
    for (const secret of [envSecret, fileSecret]) {
      expect(all).not.toContain(secret);
      expect(eventsText).not.toContain(secret);
      expect(logText).not.toContain(secret);
      expect(db).not.toContain(secret);
    }
  });
});
