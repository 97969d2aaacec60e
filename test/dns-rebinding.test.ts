/** A hub bound to loopback refuses requests whose Host is another name (DNS rebinding), on every route. */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { hubForFile } from './helpers/hub.js';

const t = hubForFile();

function get(path: string, host: string): Promise<{ status: number; body: any }> {
  const url = new URL(path, t.url);
  return new Promise((resolve, reject) => {
    const req = request(
      { hostname: url.hostname, port: url.port, path, method: 'GET', headers: { host } },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text || 'null') }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('Host header on a loopback hub', () => {
  it('answers loopback names and refuses others with a 403 that says why', async () => {
    const port = new URL(t.url).port;
    expect((await get('/api/v1/agents', `localhost:${port}`)).status).toBe(200);
    expect((await get('/api/v1/agents', `127.0.0.1:${port}`)).status).toBe(200);
    const refused = await get('/api/v1/agents', `attacker.example:${port}`);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');
    expect(refused.body.error.message).toMatch(/attacker\.example.*loopback/);
    expect((await get('/health', 'rebound.example')).status).toBe(403);
  });
});
