import { describe, expect, it } from 'vitest';
import { byUrgency, type Finding, label, median } from './finding.js';

const f = (kind: string, severity: Finding['severity'], title = kind): Finding => ({
  kind,
  severity,
  title,
  agents: [],
  evidence: {},
  action: '',
});

describe('insight findings', () => {
  it('takes the median of odd and even lists, and none of an empty one', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
  });

  it('orders critical before warning before info, then by kind and title', () => {
    const sorted = [
      f('b', 'info'),
      f('z', 'warning'),
      f('a', 'warning', 'y'),
      f('a', 'warning', 'x'),
      f('c', 'critical'),
    ]
      .sort(byUrgency)
      .map((x) => `${x.severity}:${x.kind}:${x.title}`);
    expect(sorted).toEqual(['critical:c:c', 'warning:a:x', 'warning:a:y', 'warning:z:z', 'info:b:b']);
  });

  it('labels an agent by name and id, or by id alone', () => {
    expect(label({ agent_id: 'w1', name: 'Worker' })).toBe('Worker (w1)');
    expect(label({ agent_id: 'w1', name: 'w1' })).toBe('w1');
    expect(label({ agent_id: 'w1', name: null })).toBe('w1');
  });
});
