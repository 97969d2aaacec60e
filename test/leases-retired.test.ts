/** A retired agent's file leases are released at once, so they no longer block other agents. */
import { describe, expect, it } from 'vitest';
import { hubPerTest, type TestHub } from './helpers/hub.js';

let t: TestHub | undefined;
const hubs = hubPerTest();

describe('leases of a retired agent', () => {
  it('are released when the agent retires, and another agent can take them', async () => {
    t = await hubs.start();
    const a = await t.register('Alice');
    const b = await t.register('Bob');
    const held = await t.api('POST', '/api/v1/leases', { token: a.token, body: { patterns: ['src/**'] } });
    expect(held.status).toBe(201);
    expect(
      (await t.api('POST', '/api/v1/leases', { token: b.token, body: { patterns: ['src/x.ts'] } })).status,
    ).toBe(409);

    expect((await t.api('DELETE', `/api/v1/agents/${a.id}`, { token: a.token })).status).toBe(200);
    let taken = await t.api('POST', '/api/v1/leases', { token: b.token, body: { patterns: ['src/x.ts'] } });
    for (let i = 0; i < 50 && taken.status !== 201; i++) {
      await new Promise((r) => setTimeout(r, 20));
      taken = await t.api('POST', '/api/v1/leases', { token: b.token, body: { patterns: ['src/x.ts'] } });
    }
    expect(taken.status).toBe(201);
    const left = await t.api('GET', `/api/v1/leases?holder=${a.id}`, { token: b.token });
    expect(left.body.total).toBe(0);
  });
});
