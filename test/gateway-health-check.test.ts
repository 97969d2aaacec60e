/**
 * The periodic health check of downstream servers (a job per server on the hub's timers): a
 * connected server is pinged every healthIntervalSeconds and server_health shows the last check; a
 * disabled one is never pinged; a runtime server removed and added again under the same name is
 * checked again (its job ends with it). Polled through server_health, no timing assertions.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './helpers/hub.js';
import { eventually, FIXTURE } from './gateway-support.js';

const marker = `gw-health-${randomUUID()}`;
let t: TestHub;

interface HealthRow {
  state: string;
  health: string;
  last_check_at: string | null;
  last_check_ok: boolean | null;
}

const admin = (method: string, path: string, body?: unknown) =>
  t.api(method, path, { token: t.adminToken, ...(body ? { body } : {}) });

async function health(name: string): Promise<HealthRow> {
  const res = await admin('GET', `/api/v1/gateway/health?name=${name}`);
  if (!res.body?.servers?.[0]) throw new Error(`health ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.servers[0];
}

const fixture = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  command: process.execPath,
  args: [FIXTURE, `${marker}-${name}`],
  ...extra,
});

/** Waits for a successful check after `after` (an ISO time, or null for any) and answers that row. */
async function checkedAfter(name: string, after: string | null): Promise<HealthRow> {
  let row: HealthRow | undefined;
  await eventually(
    async () => {
      const h = await health(name);
      if (h.last_check_ok === true && h.last_check_at !== null && h.last_check_at !== after) row = h;
      return row;
    },
    20_000,
    `a health check of ${name}`,
  );
  return row as HealthRow;
}

beforeAll(async () => {
  t = await startTestHub({
    gateway: {
      healthIntervalSeconds: 0.2,
      servers: [fixture('pinged'), fixture('off', { enabled: false })],
    },
  });
});

afterAll(async () => {
  await t?.close();
});

describe('gateway health check', () => {
  it('pings a connected server again and again; server_health shows the last check', async () => {
    const first = await checkedAfter('pinged', null);
    expect(first).toMatchObject({ state: 'ready', health: 'healthy' });
    const next = await checkedAfter('pinged', first.last_check_at);
    expect(Date.parse(next.last_check_at as string)).toBeGreaterThan(
      Date.parse(first.last_check_at as string),
    );
  });

  it('never pings a disabled server', async () => {
    await checkedAfter('pinged', null);
    expect(await health('off')).toMatchObject({
      state: 'disabled',
      last_check_at: null,
      last_check_ok: null,
    });
  });

  it('checks a runtime server removed and added again under the same name', async () => {
    for (let round = 0; round < 2; round++) {
      const added = await admin('POST', '/api/v1/gateway/servers', fixture('again'));
      expect(added.status).toBe(201);
      await checkedAfter('again', null);
      expect((await admin('DELETE', '/api/v1/gateway/servers/again')).status).toBe(200);
      expect((await admin('GET', '/api/v1/gateway/health?name=again')).status).toBe(404);
    }
  });
});
