import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './load.js';

describe('config', () => {
  it('layers defaults, file, environment and flags in that order', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-config-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ port: 8000, host: '127.0.0.2', rateLimit: { perSecond: 5 } }));
    const config = loadConfig({
      file,
      env: { SWITCHBOARD_PORT: '9000', SWITCHBOARD_HOME: dir },
      flags: { host: '127.0.0.3' },
    });
    expect(config.port).toBe(9000);
    expect(config.host).toBe('127.0.0.3');
    expect(config.home).toBe(dir);
    expect(config.rateLimit).toEqual({ enabled: true, perSecond: 5, burst: 400 });
    expect(config.presence.offlineAfterSeconds).toBe(300);
  });

  it('names the field and what is allowed when a value is wrong', () => {
    expect(() => loadConfig({ env: {}, flags: { port: 70000 } })).toThrow(/port/);
    expect(() => loadConfig({ env: { SWITCHBOARD_PORT: 'abc' } })).toThrow(
      /SWITCHBOARD_PORT must be a whole number/,
    );
    expect(() => loadConfig({ env: {}, flags: { prot: 1 } as never })).toThrow(/unknown field "prot"/);
  });

  it('says which file is unreadable or not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-config-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ port: ');
    expect(() => loadConfig({ env: {}, file: bad })).toThrow(/bad\.json is not a JSON object/);
    expect(() => loadConfig({ env: {}, file: join(dir, 'missing.json') })).toThrow(/Cannot read config file/);
  });
});
