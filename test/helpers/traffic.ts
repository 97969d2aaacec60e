/**
 * The cast and the clocked send of the analytics rollup scenarios: agents A, B, C in project
 * `default`, D and E in project `other`, and messages sent at a given time of day 1 or 2 (the
 * TestClock's `at`), each checked to be accepted.
 */
import { expect } from 'vitest';
import type { TestClock } from './clock.js';
import type { TestHub } from './hub.js';

export type Agent = { id: string; token: string };

export async function fiveAgents(h: TestHub): Promise<Record<'a' | 'b' | 'c' | 'd' | 'e', Agent>> {
  const reg = (name: string, project = 'default') => h.register(name, { project, capabilities: ['all'] });
  const [a, b, c] = [await reg('A'), await reg('B'), await reg('C')];
  const [d, e] = [await reg('D', 'other'), await reg('E', 'other')];
  return { a, b, c, d, e };
}

/** Sends as `from` at `hh:mm` of day 1 or 2; resolves with the message and thread ids. */
export function clockedSend(h: TestHub, clock: TestClock) {
  return async (at: string, day: number, from: Agent, body: Record<string, unknown>) => {
    clock.at(at, day);
    const r = await h.api('POST', '/api/v1/messages', { token: from.token, body: { body: 'x', ...body } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body as { message_id: string; thread_id: string };
  };
}
