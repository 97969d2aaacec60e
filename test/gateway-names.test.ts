/** Namespaced tool names: valid for every client, within 64 characters, deterministic, collision-free. */
import { describe, expect, it } from 'vitest';
import { exposedName, namespaceTools, TOOL_NAME } from '../src/domain/gateway/names.js';

describe('gateway tool names', () => {
  it('joins server and tool with the separator when that is a valid name', () => {
    expect(exposedName('k8s', 'get_pods', '__')).toBe('k8s__get_pods');
    expect(exposedName('everything', 'get-sum', '__')).toBe('everything__get-sum');
  });

  it('hashes names that are too long or have other characters, deterministically', () => {
    const long = 'a'.repeat(100);
    const dotted = 'os.linux.runCommand';
    for (const tool of [long, dotted, 'ünïcödé', '']) {
      const name = exposedName('server-with-a-long-name', tool, '__');
      expect(name).toMatch(TOOL_NAME);
      expect(name.startsWith('server-with-a-long-name__')).toBe(true);
      expect(exposedName('server-with-a-long-name', tool, '__')).toBe(name);
    }
    expect(exposedName('s', long, '__')).not.toBe(exposedName('s', `${long}b`, '__'));
  });

  it('never lets two tools of one server share a name', () => {
    const tricky = 'a'.repeat(100);
    const hashed = exposedName('s', tricky, '__').slice('s__'.length);
    const names = namespaceTools('s', [tricky, hashed, 'plain'], '__');
    expect(names.size).toBe(3);
    expect(new Set(names.values())).toEqual(new Set([tricky, hashed, 'plain']));
    for (const name of names.keys()) expect(name).toMatch(TOOL_NAME);
  });
});
