/**
 * Test harness: a real hub on a temp directory (real SQLite file) and an ephemeral loopback port.
 * Every test file builds its own hubs; nothing is shared between them. With
 * `SWITCHBOARD_TEST_STORE=postgres` each hub gets a fresh PostgreSQL database instead (a hub started
 * again on the same home finds the same database, as it would find its SQLite file).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { createHub, type Hub, type HubOptions } from '../../src/hub.js';
import { createTestDatabase, type TestDatabase, testStoreIsPostgres } from './postgres.js';

/** Each home's PostgreSQL database in `SWITCHBOARD_TEST_STORE=postgres` runs, dropped when the file ends. */
const databases = new Map<string, TestDatabase>();
afterAll(async () => {
  for (const db of databases.values()) await db.drop();
  databases.clear();
});

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
  const home = config.home ?? mkdtempSync(join(tmpdir(), 'switchboard-test-'));
  let database: TestDatabase | undefined;
  if (testStoreIsPostgres() && config.db === undefined) {
    database = databases.get(home) ?? (await createTestDatabase());
    databases.set(home, database);
  }
  const cfg = loadConfig({
    env: {},
    flags: { home, port: 0, logLevel: 'silent', ...(database ? { db: database.url } : {}), ...config },
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

/**
 * The preamble of a file whose tests each start their own hub: call `hubPerTest()` at its top level,
 * then `t = await hubs.start(config, opts)` in a test. When each test ends, `beforeClose` runs (to
 * close the sockets and clients the test opened), then every hub the test started is closed.
 */
export function hubPerTest(beforeClose?: () => unknown) {
  const started: TestHub[] = [];
  afterEach(async () => {
    try {
      await beforeClose?.();
    } finally {
      for (const h of started.splice(0)) await h.close();
    }
  });
  return {
    async start(config?: ConfigInput, opts?: Omit<HubOptions, 'config'>): Promise<TestHub> {
      const h = await startTestHub(config, opts);
      started.push(h);
      return h;
    },
  };
}

/**
 * The preamble of a file whose tests share one hub: `const t = hubForFile(config)` at its top level
 * starts the hub before the file's tests and closes it after them (`beforeClose` first, to close the
 * clients they opened; `afterClose` last). `t` stands for that hub inside tests and hooks.
 */
export function hubForFile(
  config: ConfigInput = {},
  opts: Omit<HubOptions, 'config'> & { beforeClose?: () => unknown; afterClose?: () => unknown } = {},
): TestHub {
  const { beforeClose, afterClose, ...hubOpts } = opts;
  let started: TestHub | undefined;
  beforeAll(async () => {
    started = await startTestHub(config, hubOpts);
  });
  afterAll(async () => {
    try {
      await beforeClose?.();
    } finally {
      await started?.close();
      await afterClose?.();
    }
  });
  const hub = (): TestHub => {
    if (!started) throw new Error('the hub of this file starts in beforeAll: use it inside a test or hook');
    return started;
  };
  return {
    get hub() {
      return hub().hub;
    },
    get url() {
      return hub().url;
    },
    get home() {
      return hub().home;
    },
    get adminToken() {
      return hub().adminToken;
    },
    api: (...args) => hub().api(...args),
    register: (...args) => hub().register(...args),
    close: () => hub().close(),
  };
}
