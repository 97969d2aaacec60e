/** Node-to-node calls: answers and errors come back to the asking node; silence becomes `unavailable`. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { channels, InProcessBus } from '../../bus/bus.js';
import type { HubEvent } from '../../bus/events.js';
import { HubError } from '../../core/errors.js';
import { NodeCalls } from './node-calls.js';

afterEach(() => vi.useRealTimers());

function twoNodes() {
  const bus = new InProcessBus();
  const a = new NodeCalls(bus, 'node_a');
  const b = new NodeCalls(bus, 'node_b');
  a.start();
  b.start();
  return { bus, a, b };
}

describe('NodeCalls', () => {
  it('runs the op on the named node and answers with its result', async () => {
    const { a, b } = twoNodes();
    const ran: string[] = [];
    b.handle('instance.send', async (args: { id: string }) => {
      ran.push(`b:${args.id}`);
      return { sent: args.id };
    });
    a.handle('instance.send', async () => ran.push('a'));
    await expect(a.call('node_b', 'instance.send', { id: 'inst_1' }, 1000)).resolves.toEqual({
      sent: 'inst_1',
    });
    expect(ran).toEqual(['b:inst_1']);
  });

  it('brings back the error the owner threw, with its code', async () => {
    const { a, b } = twoNodes();
    b.handle('instance.send', async () => {
      throw new HubError('conflict', 'Instance inst_1 is stopped; it takes no turns any more');
    });
    const err = await a.call<never>('node_b', 'instance.send', {}, 1000).catch((e: HubError) => e);
    expect(err).toBeInstanceOf(HubError);
    expect({ code: err.code, message: err.message }).toEqual({
      code: 'conflict',
      message: 'Instance inst_1 is stopped; it takes no turns any more',
    });
  });

  it('hides an unexpected failure behind a plain message, and answers an unknown op with unavailable', async () => {
    const { a, b } = twoNodes();
    b.handle('boom', async () => {
      throw new Error('secret internals at /srv/x');
    });
    const err = await a.call<never>('node_b', 'boom', {}, 1000).catch((e: HubError) => e);
    expect(err.code).toBe('internal');
    expect(err.message).not.toContain('secret');
    await expect(a.call('node_b', 'nothing.here', {}, 1000)).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('gives unavailable when the owner does not answer in time, naming the node', async () => {
    vi.useFakeTimers();
    const { a } = twoNodes();
    const pending = a.call<never>('node_gone', 'instance.send', {}, 5000).catch((e: HubError) => e);
    await vi.advanceTimersByTimeAsync(5000);
    const err = await pending;
    expect(err.code).toBe('unavailable');
    expect(err.message).toContain('node_gone');
  });

  it('keeps its traffic off the hub-wide channel that clients see', async () => {
    const { bus, a, b } = twoNodes();
    const seen: HubEvent[] = [];
    bus.subscribe(channels.all, (e) => seen.push(e));
    b.handle('x', async () => 1);
    await a.call('node_b', 'x', {}, 1000);
    expect(seen).toEqual([]);
  });

  it('fails calls still waiting when the node stops', async () => {
    const { a } = twoNodes();
    const pending = a.call<never>('node_gone', 'x', {}, 60_000).catch((e: HubError) => e);
    a.stop();
    expect((await pending).code).toBe('unavailable');
  });
});
