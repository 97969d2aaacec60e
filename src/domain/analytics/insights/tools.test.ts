import { describe, expect, it } from 'vitest';
import { callFindings } from './tools.js';

const row = (name: string, calls: number, errors: number, p95_ms: number | null = 4) => ({
  name,
  calls,
  errors,
  error_rate: Math.round((errors / calls) * 10_000) / 10_000,
  p95_ms,
});

describe('call rules', () => {
  it('flags a downstream tool that fails often, critical at half its calls', () => {
    const found = callFindings({
      tools: [row('fx__fail', 3, 3), row('fx__flaky', 8, 2), row('fx__ok', 10, 0), row('fx__rare', 2, 2)],
      operations: [],
    });
    expect(found).toEqual([
      {
        kind: 'failing_tool',
        severity: 'critical',
        title: 'Downstream tool fx__fail failed 3 of 3 calls (100%)',
        agents: [],
        evidence: { calls: 3, errors: 3, error_rate: 1 },
        action: expect.stringContaining('server_health'),
      },
      expect.objectContaining({
        kind: 'failing_tool',
        severity: 'warning',
        evidence: { calls: 8, errors: 2, error_rate: 0.25 },
      }),
    ]);
  });

  it('flags hub operations that fail over five calls or more, not a single refusal', () => {
    const found = callFindings({
      tools: [],
      operations: [row('claim_task', 6, 3), row('send_message', 12, 1), row('get_task', 4, 4)],
    });
    expect(found.map((f) => [f.kind, f.severity, f.title])).toEqual([
      ['failing_operation', 'critical', 'Hub operation claim_task failed 3 of 6 calls (50%)'],
    ]);
  });

  it('flags a tool whose p95 is far above the others, over a second', () => {
    const found = callFindings({
      tools: [row('a', 5, 0, 2048), row('b', 5, 0, 8), row('c', 5, 0, 16), row('d', 5, 0, 4)],
      operations: [row('wait_for_messages', 50, 0, 30_000), row('x', 50, 0, 1)],
    });
    expect(found).toEqual([
      {
        kind: 'slow_tool',
        severity: 'warning',
        title: 'Downstream tool a takes 2048 ms at p95, against 8 ms for other tools',
        agents: [],
        evidence: { calls: 5, p95_ms: 2048, peers_median_p95_ms: 8, peers: 3 },
        action: expect.stringContaining('timeout'),
      },
    ]);
    // slow but not against its peers, or too few peers
    expect(
      callFindings({
        tools: [row('a', 5, 0, 2048), row('b', 5, 0, 1024), row('c', 5, 0, 1024)],
        operations: [],
      }),
    ).toEqual([]);
    expect(callFindings({ tools: [row('a', 5, 0, 2048), row('b', 5, 0, 8)], operations: [] })).toEqual([]);
  });
});
