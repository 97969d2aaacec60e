import { describe, expect, it } from 'vitest';
import { isolatedFindings } from './isolated.js';

const agent = (agent_id: string, over: Partial<Parameters<typeof isolatedFindings>[0][number]> = {}) => ({
  agent_id,
  name: agent_id.toUpperCase(),
  project: 'p',
  status: 'active',
  registered_minutes_ago: 30,
  sent: 0,
  received: 0,
  ...over,
});

describe('isolated agent rule', () => {
  it('flags a present agent nobody talked with while its project talked', () => {
    const found = isolatedFindings([
      agent('lone'),
      agent('a', { sent: 2 }),
      agent('b', { received: 2 }),
      agent('gone', { status: 'offline' }),
      agent('new', { registered_minutes_ago: 2 }),
      // a project where nobody talked is quiet, not isolating
      agent('q', { project: 'quiet' }),
    ]);
    expect(found).toEqual([
      {
        kind: 'isolated_agent',
        severity: 'info',
        title: 'LONE (lone) is active but sent and received nothing, while 2 agents of p talked',
        agents: ['lone'],
        evidence: { sent: 0, received: 0, registered_minutes_ago: 30, talking_peers: 2 },
        action: expect.stringContaining('retire'),
      },
    ]);
  });
});
