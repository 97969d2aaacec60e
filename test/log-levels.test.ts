/**
 * What the hub logs at each level: one line per HTTP request only at debug, so the info log of a hub
 * doing ordinary work holds the events that matter (started, agents registered, …), not its traffic.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/core/logger.js';
import { startTestHub } from './helpers/hub.js';

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A hub whose logger writes into an array, after some ordinary traffic. */
async function logOfTraffic(level: string): Promise<LogLine[]> {
  let text = '';
  const sink = new Writable({
    write(chunk, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  const t = await startTestHub({}, { logger: createLogger(level, sink) });
  try {
    const a = await t.register('log-a');
    const b = await t.register('log-b');
    await t.api('GET', '/health');
    await t.api('GET', '/api/v1/agents');
    await t.api('POST', '/api/v1/messages', { token: a.token, body: { to: b.id, body: 'hi' } });
    await t.api('GET', '/api/v1/messages', { token: b.token });
    await t.api('GET', '/api/v1/no-such-route');
    await t.api('GET', '/api/v1/agents/me', { token: 'sb_wrong_wrong_wrong_wrong' });
  } finally {
    await t.close();
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as LogLine);
}

describe('log levels', () => {
  it('logs each HTTP request at debug, none at info', async () => {
    const info = await logOfTraffic('info');
    expect(info.filter((l) => l.msg === 'request')).toEqual([]);
    // Fewer lines than requests: the traffic itself leaves no trace at info.
    expect(info.length).toBeLessThan(8);

    const debug = await logOfTraffic('debug');
    const requests = debug.filter((l) => l.msg === 'request');
    expect(requests.map((l) => [l.level, l.method, l.url, l.status])).toEqual(
      expect.arrayContaining([
        [20, 'GET', '/health', 200],
        [20, 'POST', '/api/v1/messages', 200],
        [20, 'GET', '/api/v1/no-such-route', 404],
        [20, 'GET', '/api/v1/agents/me', 401],
      ]),
    );
    expect(requests.every((l) => typeof l.req_id === 'string' && typeof l.ms === 'number')).toBe(true);
  });
});
