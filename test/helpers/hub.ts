/**
 * Test harness: a real hub on a temp directory (real SQLite file) and an ephemeral loopback port.
 * Every test file builds its own hubs; nothing is shared between them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { createHub, type Hub, type HubOptions } from '../../src/hub.js';

export interface TestHub {
  hub: Hub;
  url: string;
  home: string;
  adminToken: string;
  /** fetch against the hub with JSON in and out. */
  api(
    method: string,
    path: string,
    opts?: { token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any; headers: Headers }>;
  /** Registers an agent over REST and returns its id and token. */
  register(name: string, extra?: Record<string, unknown>): Promise<{ id: string; token: string }>;
  close(): Promise<void>;
}

export async function startTestHub(
  config: ConfigInput = {},
  opts: Omit<HubOptions, 'config'> = {},
): Promise<TestHub> {
  const home = mkdtempSync(join(tmpdir(), 'switchboard-test-'));
  const cfg = loadConfig({
    env: {},
    flags: { home, port: 0, logLevel: 'silent', ...config },
  });
  const hub = await createHub({ config: cfg, ...opts });
  const url = await hub.listen();

  const api: TestHub['api'] = async (method, path, o = {}) => {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    let body: string | undefined;
    if (o.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
    }
    const res = await fetch(url + path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };

  return {
    hub,
    url,
    home,
    adminToken: hub.adminToken,
    api,
    async register(name, extra = {}) {
      const res = await api('POST', '/api/v1/agents/register', { body: { name, ...extra } });
      if (res.status !== 200)
        throw new Error(`register ${name} failed: ${res.status} ${JSON.stringify(res.body)}`);
      return { id: res.body.agent_id, token: res.body.token };
    },
    async close() {
      await hub.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
