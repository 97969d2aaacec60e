import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HubError } from '../core/errors.js';
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
    expect(() => loadConfig({ env: {}, flags: { prot: 1 } as never })).toThrow(/prot: unknown setting/);
  });

  it('reports every problem of a config file at once, each with its path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-config-'));
    const file = join(dir, 'config.json');
    const problems = {
      port: 'x',
      prot: 1,
      logLevel: 'loud',
      presence: { idleAfterSecond: 5, offlineAfterSeconds: -1 },
      rateLimit: { burst: 0, perSecnd: 3 },
      messages: { maxBodyBytes: 'big' },
      instances: { maxConcurent: 3 },
    };
    writeFileSync(file, JSON.stringify(problems));
    let error: HubError | undefined;
    try {
      loadConfig({ env: {}, file });
    } catch (err) {
      error = err as HubError;
    }
    const fields = [
      'port',
      'prot',
      'logLevel',
      'presence.idleAfterSecond',
      'presence.offlineAfterSeconds',
      'rateLimit.burst',
      'rateLimit.perSecnd',
      'messages.maxBodyBytes',
      'instances.maxConcurent',
    ];
    expect(error?.code).toBe('invalid_input');
    expect(error?.message).toMatch(new RegExp(`config file .*config\\.json.*, ${fields.length} problems: `));
    for (const field of fields) expect(error?.message).toContain(`${field}: `);
    const details = error?.details as { issues: { field: string; problem: string }[] };
    expect(details.issues.map((i) => i.field).sort()).toEqual([...fields].sort());
  });

  it('refuses a placeholder admin token, such as the text `switchboard config` used to print', () => {
    for (const adminToken of ['(in /home/me/.switchboard/admin-token)', '(set, hidden)', '<admin token>']) {
      expect(() => loadConfig({ env: {}, flags: { adminToken } })).toThrow(
        /adminToken: a placeholder, not a token .*remove adminToken to use the token in <home>\/admin-token/,
      );
    }
    expect(() => loadConfig({ env: { SWITCHBOARD_ADMIN_TOKEN: '(set, hidden)' } })).toThrow(/placeholder/);
    expect(loadConfig({ env: {}, flags: { adminToken: 'a-very-secret-admin-token-123' } }).adminToken).toBe(
      'a-very-secret-admin-token-123',
    );
  });

  it('says which file is unreadable or not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-config-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ port: ');
    expect(() => loadConfig({ env: {}, file: bad })).toThrow(/bad\.json is not a JSON object/);
    expect(() => loadConfig({ env: {}, file: join(dir, 'missing.json') })).toThrow(/Cannot read config file/);
  });
});
