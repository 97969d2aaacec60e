import { describe, expect, it } from 'vitest';
import { parseOptions } from '../bench/lib/options.js';

describe('npm run bench options', () => {
  it('--compare-config alone compares this build, started with that config, against itself', () => {
    const o = parseOptions(['--only=ws', '--compare-config={"analytics":{"enabled":false}}']);
    expect(o.compareConfig).toEqual({ analytics: { enabled: false } });
    expect(o.compareBin).toMatch(/bin\/switchboard\.js$/);
    expect(o.only).toEqual(new Set(['ws']));
  });

  it('refuses a --compare-config that is not a JSON object, saying what to write', () => {
    expect(() => parseOptions(['--compare-config={analytics:false}'])).toThrow(
      /--compare-config must be a JSON object, e\.g\. '\{"analytics":\{"enabled":false\}\}'/,
    );
    expect(() => parseOptions(['--compare-config=[1]'])).toThrow(/must be a JSON object/);
  });

  it('refuses unknown options and non-positive numbers before anything starts', () => {
    expect(() => parseOptions(['--compare-cfg={}'])).toThrow(
      /unknown option --compare-cfg; known: .*--compare-config/,
    );
    expect(() => parseOptions(['--rate=0'])).toThrow('--rate must be a positive number');
  });

  it('without a comparison option there is no comparison hub', () => {
    const o = parseOptions(['--quick']);
    expect(o.compareBin).toBeUndefined();
    expect(o.compareConfig).toBeUndefined();
    expect(o.reps).toBe(2);
  });
});
