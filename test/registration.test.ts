/** Registration stays quick in a large project: it lists at most 100 peers; list_agents has everyone. */
import { afterEach, describe, expect, it } from 'vitest';
import { type TestHub, startTestHub } from './helpers/hub.js';

let t: TestHub | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('registration in a large project', () => {
  it('answers with the first 100 peers, never itself, while list_agents shows all', async () => {
    t = await startTestHub({ rateLimit: { enabled: false } });
    const first = [];
    for (let i = 0; i < 105; i++) first.push(await t.register(`agent ${i}`));
    const res = await t.api('POST', '/api/v1/agents/register', { body: { name: 'newcomer' } });
    expect(res.status).toBe(200);
    expect(res.body.peers).toHaveLength(100);
    expect(res.body.peers.map((p: any) => p.agent_id)).toEqual(first.slice(0, 100).map((a) => a.id));
    expect(res.body.peers.some((p: any) => p.agent_id === res.body.agent_id)).toBe(false);
    expect((await t.api('GET', '/api/v1/agents')).body.total).toBe(106);
  });
});
