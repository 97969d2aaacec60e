/**
 * The lazy per-request logger (src/surfaces/http/request-logger.ts): the lines it writes are the
 * ones pino's own request child writes (request id binding, redaction), levels that are off write
 * nothing, and a hub's request lines carry the request's id.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/core/logger.js';
import { requestLogger } from '../src/surfaces/http/request-logger.js';
import { startTestHub } from './helpers/hub.js';

interface LogLine {
  level: number;
  msg: string;
  time?: number;
  [key: string]: unknown;
}

function capture(level: string) {
  let text = '';
  const sink = new Writable({
    write(chunk, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  const logger = createLogger(level, sink);
  const lines = () =>
    text
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const { time: _time, ...rest } = JSON.parse(l) as LogLine;
        return rest;
      });
  return { logger, lines };
}

describe('lazy request logger', () => {
  it('writes exactly what a pino child with the same bindings writes, token fields removed', () => {
    const lazy = capture('info');
    const eager = capture('info');
    const boom = new Error('boom'); // one error: its stack is part of the line
    const write = (log: ReturnType<typeof requestLogger>) => {
      log.debug({ skipped: true }, 'off at info');
      log.info({ op: 'set_context', token: 'sb_secret_secret_secret' }, 'one');
      log.warn('two %s', 'formatted');
      log.error({ err: boom }, 'three');
      log.child({ sub: 1 }).info('four');
    };
    write(requestLogger(lazy.logger, { req_id: 'req_1' }, {}));
    write(eager.logger.child({ req_id: 'req_1' }));
    const lines = lazy.lines();
    expect(lines.map((l) => l.msg)).toEqual(['one', 'two formatted', 'three', 'four']);
    expect(lines.every((l) => l.req_id === 'req_1')).toBe(true);
    expect(JSON.stringify(lines)).not.toContain('sb_secret');
    expect(lines).toEqual(eager.lines());
  });

  it('reports the parent level until a line makes the child', () => {
    const { logger, lines } = capture('warn');
    const log = requestLogger(logger, { req_id: 'req_2' }, {});
    expect(log.level).toBe('warn');
    expect(log.isLevelEnabled('info')).toBe(false);
    expect(log.isLevelEnabled('error')).toBe(true);
    log.info('nothing');
    expect(lines()).toEqual([]);
    log.error('something');
    expect(lines().map((l) => [l.msg, l.req_id])).toEqual([['something', 'req_2']]);
  });

  it('gives a route with its own log level a real child at that level', () => {
    const { logger, lines } = capture('info');
    const log = requestLogger(logger, { req_id: 'req_3' }, { level: 'debug' });
    log.debug('shown');
    expect(lines().map((l) => [l.msg, l.req_id])).toEqual([['shown', 'req_3']]);
  });

  it("a hub's request line carries the request id it answered with", async () => {
    const { logger, lines } = capture('info');
    const t = await startTestHub({}, { logger });
    let requestId: string | null;
    try {
      const res = await fetch(`${t.url}/api/v1/agents`, { headers: { origin: 'https://evil.example' } });
      expect(res.status).toBe(403);
      requestId = res.headers.get('x-request-id');
    } finally {
      await t.close();
    }
    expect(requestId).toMatch(/^req/);
    const refused = lines().filter((l) => l.msg === 'origin refused');
    expect(refused.map((l) => l.req_id)).toEqual([requestId]);
  });
});
