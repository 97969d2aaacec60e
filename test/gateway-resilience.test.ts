/**
 * Gateway resilience against the real fixture server over stdio: the circuit breaker and health
 * under repeated failures, retries only for tools safe to repeat, per-tool timeouts, per-server
 * rate limits. No timing assertions: state changes are polled through server_health.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { connect2026, textOf } from './mcp-clients.js';
import { startTestHub, type TestHub } from './helpers/hub.js';
import { eventually, FIXTURE } from './gateway-support.js';

const marker = `gw-resilience-${randomUUID()}`;
let t: TestHub;
let client: Client;

interface HealthRow {
  health: string;
  state: string;
  breaker: { state: string; consecutive_failures: number };
}

async function health(name: string): Promise<HealthRow> {
  const res = await t.api('GET', `/api/v1/gateway/health?name=${name}`, { token: t.adminToken });
  if (!res.body?.servers?.[0]) throw new Error(`health ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.servers[0];
}

const fixture = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  command: process.execPath,
  args: [FIXTURE, `${marker}-${name}`],
  ...extra,
});

const call = (name: string, args: Record<string, unknown> = {}) => client.callTool({ name, arguments: args });

beforeAll(async () => {
  t = await startTestHub({
    gateway: {
      // No periodic pings during the test: a successful ping would close a half-open breaker itself.
      healthIntervalSeconds: 3600,
      servers: [
        fixture('brk', { breaker: { failureThreshold: 3, resetSeconds: 3 } }),
        fixture('other', { retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 50 } }),
        fixture('slow', { timeoutSeconds: 120, toolTimeouts: { fixture_hang: 1 } }),
        fixture('limited', { rateLimit: { perSecond: 0.25, burst: 2 } }),
        fixture('retry', {
          retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 50, tools: ['fixture_flaky_write'] },
        }),
      ],
    },
  });
  for (const name of ['brk', 'other', 'retry', 'slow', 'limited'])
    await eventually(async () => (await health(name)).state === 'ready', 20_000, name);
  client = await connect2026(t.url, { token: t.adminToken });
});

afterAll(async () => {
  await client?.close().catch(() => {});
  await t?.close();
});

describe('gateway resilience', () => {
  it('opens the breaker after failureThreshold failures, half-opens after the cool-down, closes on a good trial', async () => {
    const flaky = { key: `brk-${randomUUID()}`, failures: 3 };
    expect((await health('brk')).health).toBe('healthy');

    const first = await call('brk__fixture_flaky_write', flaky);
    expect(first.isError).toBe(true);
    expect(textOf(first)).toMatch(/^unavailable: brk: fixture_flaky_write failed: .*flaky failure 1 of 3/);
    let h = await health('brk');
    expect(h.breaker).toMatchObject({ state: 'closed', consecutive_failures: 1 });
    expect(h.health).toBe('degraded');

    for (const n of [2, 3]) {
      const res = await call('brk__fixture_flaky_write', flaky);
      expect(textOf(res)).toContain(`flaky failure ${n} of 3`);
    }
    h = await health('brk');
    expect(h.breaker.state).toBe('open');
    expect(h.health).toBe('unhealthy');

    // Refused at once, without reaching the server (its call count shows it below).
    const refused = await call('brk__fixture_flaky_write', flaky);
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/^unavailable: brk: circuit breaker open after repeated failures/);

    // Other servers are unaffected.
    const echo = await call('other__fixture_echo', { text: 'meanwhile' });
    expect(echo.isError).toBeFalsy();
    expect(textOf(echo)).toBe('meanwhile');
    expect((await health('other')).health).toBe('healthy');

    // After the cool-down: half-open, reported as degraded.
    await eventually(
      async () => (await health('brk')).breaker.state === 'half_open',
      20_000,
      'half-open breaker',
    );
    expect((await health('brk')).health).toBe('degraded');

    // The trial call succeeds (the 4th call the server saw: the refused one never reached it).
    const trial = await call('brk__fixture_flaky_write', flaky);
    expect(trial.isError).toBeFalsy();
    expect(textOf(trial)).toBe('ok 4');
    h = await health('brk');
    expect(h.breaker).toMatchObject({ state: 'closed', consecutive_failures: 0 });
    expect(h.health).toBe('healthy');
  });

  it('a failed half-open trial re-opens the breaker', async () => {
    const key = `brk-${randomUUID()}`;
    for (let i = 0; i < 3; i++) await call('brk__fixture_fail', { message: key });
    expect((await health('brk')).breaker.state).toBe('open');
    await eventually(
      async () => (await health('brk')).breaker.state === 'half_open',
      20_000,
      'half-open breaker',
    );
    const trial = await call('brk__fixture_fail', { message: key });
    expect(textOf(trial)).toMatch(/^unavailable: brk: fixture_fail failed: .*/);
    const h = await health('brk');
    expect(h.breaker.state).toBe('open');
    expect(h.health).toBe('unhealthy');
    // Let it recover for whatever runs next.
    await eventually(
      async () => (await health('brk')).breaker.state === 'half_open',
      20_000,
      'half-open breaker',
    );
    const ok = await call('brk__fixture_echo', { text: 'back' });
    expect(textOf(ok)).toBe('back');
    expect((await health('brk')).breaker.state).toBe('closed');
  });

  it('retries a tool annotated readOnlyHint that fails once, and the call succeeds', async () => {
    const key = `ro-${randomUUID()}`;
    const res = await call('other__fixture_flaky', { key, failures: 1 });
    expect(res.isError).toBeFalsy();
    expect(textOf(res)).toBe('ok 2');
    expect(textOf(await call('other__fixture_calls', { key }))).toBe('2');
    expect((await health('other')).breaker).toMatchObject({ state: 'closed', consecutive_failures: 0 });
  });

  it('retries a tool listed in retry.tools', async () => {
    const key = `listed-${randomUUID()}`;
    const res = await call('retry__fixture_flaky_write', { key, failures: 1 });
    expect(res.isError).toBeFalsy();
    expect(textOf(res)).toBe('ok 2');
    expect(textOf(await call('retry__fixture_calls', { key }))).toBe('2');
  });

  it('does not retry a tool not declared safe: one downstream call, the error returned', async () => {
    const key = `unsafe-${randomUUID()}`;
    const res = await call('other__fixture_flaky_write', { key, failures: 1 });
    expect(res.isError).toBe(true);
    expect(textOf(res)).toMatch(/^unavailable: other: fixture_flaky_write failed: .*flaky failure 1 of 1/);
    expect(textOf(await call('other__fixture_calls', { key }))).toBe('1');
    // The next call (not a retry: the caller's own) succeeds.
    expect(textOf(await call('other__fixture_flaky_write', { key, failures: 1 }))).toBe('ok 2');
  });

  it('gives up on a safe tool after 1 + retry.attempts calls', async () => {
    const key = `exhausted-${randomUUID()}`;
    const res = await call('retry__fixture_flaky', { key, failures: 5 });
    expect(res.isError).toBe(true);
    expect(textOf(res)).toContain('flaky failure 3 of 5');
    expect(textOf(await call('retry__fixture_calls', { key }))).toBe('3');
  });

  it('a per-tool timeout (toolTimeouts) overrides the server timeout', async () => {
    const res = await call('slow__fixture_hang');
    expect(res.isError).toBe(true);
    expect(textOf(res)).toMatch(
      /^timeout: slow: tool fixture_hang did not answer within 1 s \(the server's toolTimeouts\.fixture_hang\)/,
    );
    // Other tools of the server keep the server's timeout (and the server answers them).
    expect(textOf(await call('slow__fixture_echo', { text: 'still here' }))).toBe('still here');
  });

  it('validates toolTimeouts, naming the field', () => {
    const load = (toolTimeouts: unknown) =>
      loadConfig({
        env: {},
        flags: {
          home: t.home,
          gateway: { servers: [{ name: 'x', command: 'node', toolTimeouts }] },
        } as never,
      });
    expect(() => load({ fixture_hang: -1 })).toThrow(/gateway\.servers\.0\.toolTimeouts\.fixture_hang/);
    expect(() => load({ fixture_hang: 'soon' })).toThrow(/gateway\.servers\.0\.toolTimeouts\.fixture_hang/);
    expect(() => load({ fixture_hang: 7200 })).toThrow(/gateway\.servers\.0\.toolTimeouts\.fixture_hang/);
    expect(load({ fixture_hang: 2.5 }).gateway.servers[0]?.toolTimeouts).toEqual({ fixture_hang: 2.5 });
  });

  it('a per-server rate limit refuses calls past the burst at once, without reaching the server', async () => {
    const key = `limited-${randomUUID()}`;
    const results = await Promise.all(
      [1, 2, 3].map(() => call('limited__fixture_flaky_write', { key, failures: 0 })),
    );
    const refused = results.filter((r) => r.isError);
    expect(results.filter((r) => !r.isError)).toHaveLength(2);
    expect(refused).toHaveLength(1);
    expect(textOf(refused[0] as never)).toMatch(
      /^rate_limited: limited: rate limit reached \(0\.25\/s, burst 2\); the call was not sent; retry_after [1-9]\d* s/,
    );
    // Other servers are unaffected; the limited server's breaker and health are untouched.
    expect(textOf(await call('other__fixture_echo', { text: 'free' }))).toBe('free');
    expect((await health('limited')).health).toBe('healthy');
    // Once a token is back, the server's own count shows the refused call never reached it.
    const count = await eventually(
      async () => {
        const res = await call('limited__fixture_calls', { key });
        return res.isError ? undefined : textOf(res);
      },
      30_000,
      'a rate-limit token',
    );
    expect(count).toBe('2');
  });

  it('validates rateLimit, naming the field', () => {
    const load = (rateLimit: unknown) =>
      loadConfig({
        env: {},
        flags: { home: t.home, gateway: { servers: [{ name: 'x', command: 'node', rateLimit }] } } as never,
      });
    expect(() => load({ perSecond: 0, burst: 1 })).toThrow(/gateway\.servers\.0\.rateLimit\.perSecond/);
    expect(() => load({ perSecond: 1, burst: 0.5 })).toThrow(/gateway\.servers\.0\.rateLimit\.burst/);
    expect(() => load({ perSecond: 1 })).toThrow(/gateway\.servers\.0\.rateLimit\.burst/);
    expect(load({ perSecond: 5, burst: 10 }).gateway.servers[0]?.rateLimit).toEqual({
      perSecond: 5,
      burst: 10,
    });
  });
});
