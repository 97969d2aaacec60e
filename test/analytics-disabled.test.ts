/**
 * `analytics.enabled: false`: the hub keeps no rollups (nothing is recorded as messages are sent or
 * operations called) and every analytics operation answers 503 `unavailable` naming the setting.
 */
import { describe, expect, it } from 'vitest';
import { hubPerTest, type TestHub } from './helpers/hub.js';

let t: TestHub | undefined;
const hubs = hubPerTest();

describe('analytics.enabled false', () => {
  it('records no rollups and refuses the analytics operations with the setting to change', async () => {
    t = await hubs.start({ analytics: { enabled: false } });
    const a = await t.register('A');
    const b = await t.register('B');
    const sent = await t.api('POST', '/api/v1/messages', { token: a.token, body: { to: b.id, body: 'hi' } });
    expect(sent.status).toBe(200);
    const admin = { token: t.adminToken };
    for (const [method, path] of [
      ['GET', '/api/v1/analytics/usage'],
      ['GET', '/api/v1/analytics/history?bucket=day'],
      ['GET', '/api/v1/analytics/tools'],
      ['POST', '/api/v1/analytics/rebuild'],
    ] as const) {
      const r = await t.api(method, path, { ...admin, body: method === 'POST' ? {} : undefined });
      expect(r.status, path).toBe(503);
      expect(JSON.stringify(r.body), path).toContain('analytics.enabled');
    }
    await t.hub.services.analytics.recorder.flush();
    const rollups = t.hub.store.analytics;
    expect(await rollups.agentTotals({})).toEqual([]);
    expect(await rollups.pairTotals({})).toEqual([]);
    expect(await rollups.topThreads({}, 10)).toEqual([]);
    expect(await rollups.callTotals({})).toEqual([]);
  });
});
