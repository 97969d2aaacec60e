import { describe, expect, it } from 'vitest';
import { reopeningFindings } from './tasks.js';

describe('re-opening task rule', () => {
  it('flags a task given back three times or more, with the agents that held it', () => {
    const found = reopeningFindings([
      {
        task_id: 't1',
        title: 'Port the parser',
        status: 'open',
        reopens: 3,
        attempts: 3,
        max_attempts: 5,
        agents: ['w1', 'w2'],
      },
      {
        task_id: 't2',
        title: 'Once',
        status: 'completed',
        reopens: 2,
        attempts: 3,
        max_attempts: 3,
        agents: ['w1'],
      },
      {
        task_id: 't3',
        title: 'Cursed',
        status: 'failed',
        reopens: 7,
        attempts: 8,
        max_attempts: 8,
        agents: ['w3'],
      },
    ]);
    expect(found).toEqual([
      {
        kind: 'reopening_task',
        severity: 'warning',
        title: 'Task "Port the parser" (t1) re-opened 3 times (3 of 5 attempts, now open)',
        agents: ['w1', 'w2'],
        evidence: { reopens: 3, attempts: 3, max_attempts: 5 },
        action: expect.stringContaining('lease_seconds'),
      },
      expect.objectContaining({
        severity: 'critical',
        agents: ['w3'],
        evidence: { reopens: 7, attempts: 8, max_attempts: 8 },
      }),
    ]);
  });
});
