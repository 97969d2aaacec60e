import { describe, expect, it } from 'vitest';
import { allowedEnv, childEnv, envNameAllowed } from './env.js';

describe('instance environment allow-list', () => {
  it('matches exact names exactly and prefix patterns by prefix', () => {
    expect(envNameAllowed('PATH', ['PATH'])).toBe(true);
    expect(envNameAllowed('PATHX', ['PATH'])).toBe(false);
    expect(envNameAllowed('LC_ALL', ['LC_*'])).toBe(true);
    expect(envNameAllowed('LC', ['LC_*'])).toBe(false);
    expect(envNameAllowed('ANYTHING', [])).toBe(false);
  });

  it('passes only allow-listed variables, with the explicit extras on top', () => {
    const hub = { PATH: '/bin', MY_SECRET: 's3cret', LC_ALL: 'C', OPENAI_API_KEY: 'k', HOME: '/root' };
    expect(allowedEnv(hub, ['PATH', 'HOME', 'LC_*'], { EXTRA: 'x', HOME: '/home/agent' })).toEqual({
      PATH: '/bin',
      LC_ALL: 'C',
      HOME: '/home/agent',
      EXTRA: 'x',
    });
  });

  it('never passes the admin token or CLAUDECODE, even when allowed or given as an extra', () => {
    const base = allowedEnv(
      { SWITCHBOARD_ADMIN_TOKEN: 'adm', CLAUDECODE: '1' },
      ['SWITCHBOARD_*', 'CLAUDE*'],
      {
        SWITCHBOARD_ADMIN_TOKEN: 'adm2',
      },
    );
    expect(childEnv(base, { SWITCHBOARD_TOKEN: 'own' })).toEqual({ SWITCHBOARD_TOKEN: 'own' });
  });
});
