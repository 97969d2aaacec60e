/**
 * The resumable feed on the real in-process bus and a real SQLite store (a hub on a temp directory,
 * not listening): a replay after a cursor, then live; a message that commits during the replay
 * arrives once and in order; without a cursor, live only; held events are bounded; close lets go.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { channels, InProcessBus } from '../bus/bus.js';
import type { HubEvent } from '../bus/events.js';
import { loadConfig } from '../config/load.js';
import { admin } from '../core/caller.js';
import type { InboxMessageView } from '../core/wire/index.js';
import { createHub, type Hub } from '../hub.js';
import { Feed, type FeedSink, type MessageEvent } from './feed.js';

let hub: Hub;
let home: string;
let sender: string;
let reader: string;

beforeEach(async () => {
  home = mkdtempSync(join(tmpdir(), 'sb-feed-'));
  hub = await createHub({
    config: loadConfig({
      env: {},
      flags: { home, port: 0, logLevel: 'silent', rateLimit: { enabled: false } },
    }),
  });
  sender = (await hub.services.agents.register({ name: 'Sender' }, admin)).agent.agent_id;
  reader = (await hub.services.agents.register({ name: 'Reader' }, admin)).agent.agent_id;
});

afterEach(async () => {
  await hub.close();
  rmSync(home, { recursive: true, force: true });
});

/** Sends one message from Sender to Reader; resolves once it is committed and published. */
async function send(body: string): Promise<string> {
  const from = await hub.services.agents.requireActive(sender);
  const sent = await hub.services.messages.send(from, { to: reader, body });
  return sent.message_id;
}

const latest = () => hub.services.messages.latestCursor(reader);

/** What reached the sink, in order: `replay:<body>`, `ready:<cursor>`, `live:<body>`, `event:<type>`. */
function recorder(): { log: string[]; sink: FeedSink<HubEvent> } {
  const log: string[] = [];
  const body = (m: InboxMessageView) => String(m.body);
  return {
    log,
    sink: {
      replayed: (m) => log.push(`replay:${body(m)}`),
      caughtUp: (cursor) => log.push(`ready:${cursor}`),
      message: (e: MessageEvent) => log.push(`live:${body(e.message)}`),
      event: (e) => log.push(`event:${e.type}`),
    },
  };
}

/** A feed of Reader's channel whose backlog comes in pages of `pageSize`; `afterPage` runs after page n is handled. */
function readerFeed(pageSize: number, afterPage?: { page: number; run: () => Promise<unknown> }) {
  return new Feed<HubEvent>({
    bus: hub.bus,
    subscriptions: [{ channel: channels.agent(reader), select: (e) => e }],
    async *backlog(since) {
      let n = 0;
      for await (const page of hub.services.messages.backlog(reader, since, pageSize)) {
        yield page;
        if (++n === afterPage?.page) await afterPage.run();
      }
    },
    latestCursor: () => hub.services.messages.latestCursor(reader),
  });
}

describe('Feed', () => {
  it('replays after a cursor, says where it caught up, then passes live messages on', async () => {
    await send('m1');
    await send('m2');
    await send('m3');
    const first = (await hub.services.messages.backlog(reader, '0').next()).value![0].cursor;
    const third = await latest();
    const { log, sink } = recorder();
    const feed = readerFeed(500);
    await feed.start(sink, first);
    await send('m4');
    feed.close();
    expect(log).toEqual(['replay:m2', 'replay:m3', `ready:${third}`, 'live:m4']);
    expect(feed.cursor).toBe(await latest());
  });

  it('passes a message that commits during the replay on once, in order (it lands in a later page)', async () => {
    for (let i = 1; i <= 5; i++) await send(`m${i}`);
    const { log, sink } = recorder();
    // Pages of 2: after the first page is handled, m6 commits; it is published (held) and also read by page 3.
    let sixth = '';
    const feed = readerFeed(2, {
      page: 1,
      run: async () => {
        await send('m6');
        sixth = await latest();
      },
    });
    await feed.start(sink, '0');
    await send('m7');
    feed.close();
    expect(log).toEqual([
      ...['m1', 'm2', 'm3', 'm4', 'm5', 'm6'].map((b) => `replay:${b}`),
      `ready:${sixth}`,
      'live:m7',
    ]);
  });

  it('passes a message that commits after the last page on once, after the replay', async () => {
    for (let i = 1; i <= 3; i++) await send(`m${i}`);
    const third = await latest();
    const { log, sink } = recorder();
    // One page holds all three; m4 commits once it is handled, after the store was read for the last time.
    const feed = readerFeed(500, { page: 1, run: () => send('m4') });
    await feed.start(sink, '0');
    feed.close();
    expect(log).toEqual(['replay:m1', 'replay:m2', 'replay:m3', `ready:${third}`, 'live:m4']);
    expect(feed.cursor).toBe(await latest());
  });

  it('without a cursor starts at the newest message: nothing older, then live', async () => {
    await send('old');
    const old = await latest();
    const { log, sink } = recorder();
    const feed = readerFeed(500);
    await feed.start(sink);
    await send('new');
    feed.close();
    expect(log).toEqual([`ready:${old}`, 'live:new']);
  });

  it('without a cursor, a message that commits while the newest cursor is read is passed on, not skipped', async () => {
    await send('old');
    const { log, sink } = recorder();
    let racing = '';
    const feed = new Feed<HubEvent>({
      bus: hub.bus,
      subscriptions: [{ channel: channels.agent(reader), select: (e) => e }],
      // Subscribed already: a message lands between the subscription and the cursor read.
      latestCursor: async () => {
        await send('racing');
        racing = await latest();
        return racing;
      },
    });
    await feed.start(sink);
    feed.close();
    expect(log).toEqual([`ready:${racing}`, 'live:racing']);
    expect(feed.cursor).toBe(racing);
  });

  it('passes other events on as they come, and nothing once closed', async () => {
    const { log, sink } = recorder();
    const feed = new Feed<HubEvent>({
      bus: hub.bus,
      subscriptions: [{ channel: channels.all, select: (e) => (e.type === 'message.sent' ? e : undefined) }],
    });
    const before = hub.bus.listenerCount(channels.all);
    await feed.start(sink);
    expect(hub.bus.listenerCount(channels.all)).toBe(before + 1);
    await send('hello');
    feed.close();
    expect(hub.bus.listenerCount(channels.all)).toBe(before);
    await send('after');
    expect(log).toEqual(['ready:0', 'event:message.sent']);
  });

  it('weighs what it holds during the replay and says when it passes the bound', async () => {
    await send('m1');
    const overflows: number[] = [];
    const feed = new Feed<HubEvent>({
      bus: hub.bus,
      subscriptions: [{ channel: channels.agent(reader), select: (e) => e }],
      backlog: (since) => hub.services.messages.backlog(reader, since),
      hold: { maxBytes: 10, sizeOf: (e) => JSON.stringify(e).length, overflow: (b) => overflows.push(b) },
    });
    const first = await latest();
    const { log, sink } = recorder();
    // The sink takes its time with the replay: m2 and m3 are sent (and held) meanwhile.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let atGate!: () => void;
    const waiting = new Promise<void>((resolve) => (atGate = resolve));
    const drained = () => {
      atGate();
      return gate;
    };
    const started = feed.start({ ...sink, drained }, '0');
    await waiting;
    await send('m2');
    await send('m3');
    expect(overflows).toHaveLength(2);
    expect(overflows[1]).toBeGreaterThan(overflows[0]);
    release();
    await started;
    feed.close();
    expect(log).toEqual(['replay:m1', `ready:${first}`, 'live:m2', 'live:m3']);
  });

  it('with gapFill, a message that arrives before a lower cursor makes it read the gap from the store first', async () => {
    await send('before');
    // The feed follows its own bus, on which the test replays the hub's events out of order (as a
    // cluster node hears a send made on another node after a later local one).
    const nodeBus = new InProcessBus();
    const heard: HubEvent[] = [];
    const stop = hub.bus.subscribe(channels.agent(reader), (e) => heard.push(e));
    const feed = new Feed<HubEvent>({
      bus: nodeBus,
      subscriptions: [{ channel: channels.agent(reader), select: (e) => e }],
      backlog: (since) => hub.services.messages.backlog(reader, since),
      latestCursor: () => hub.services.messages.latestCursor(reader),
      gapFill: true,
    });
    const { log, sink } = recorder();
    const start = await latest();
    await feed.start(sink);
    for (const body of ['m1', 'm2', 'm3']) await send(body);
    const [m1, m2, m3] = heard;
    nodeBus.publish(channels.agent(reader), m3);
    nodeBus.publish(channels.agent(reader), m1);
    await vi.waitFor(() => expect(log).toHaveLength(4));
    nodeBus.publish(channels.agent(reader), m2); // already passed on from the store: skipped
    await send('m4');
    stop();
    nodeBus.publish(channels.agent(reader), heard[3]);
    feed.close();
    expect(log).toEqual([`ready:${start}`, 'replay:m1', 'replay:m2', 'replay:m3', 'live:m4']);
    expect(feed.cursor).toBe(await latest());
  });
  it('with gapFill, messages that come out of order while the feed starts are passed on in cursor order', async () => {
    const start = await latest();
    const nodeBus = new InProcessBus();
    const heard: HubEvent[] = [];
    const stop = hub.bus.subscribe(channels.agent(reader), (e) => heard.push(e));
    for (const body of ['m1', 'm2', 'm3']) await send(body);
    stop();
    const [m1, m2, m3] = heard;
    const feed = new Feed<HubEvent>({
      bus: nodeBus,
      subscriptions: [{ channel: channels.agent(reader), select: (e) => e }],
      backlog: (since) => hub.services.messages.backlog(reader, since),
      // Subscribed already: m3 and then m1 are heard (held) before the newest cursor is read.
      latestCursor: async () => {
        nodeBus.publish(channels.agent(reader), m3);
        nodeBus.publish(channels.agent(reader), m1);
        return start;
      },
      gapFill: true,
    });
    const { log, sink } = recorder();
    await feed.start(sink);
    await vi.waitFor(() => expect(log).toHaveLength(4));
    nodeBus.publish(channels.agent(reader), m2); // already passed on from the store: skipped
    feed.close();
    expect(log).toEqual([`ready:${start}`, 'replay:m1', 'replay:m2', 'replay:m3']);
  });
});
