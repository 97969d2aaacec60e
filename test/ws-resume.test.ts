/**
 * WebSocket resume: a client that drops its connection mid-stream and reconnects with
 * `?since=<last cursor>` misses nothing and sees nothing twice while senders keep sending; several
 * connections of one agent each get every message; closed sockets leave nothing subscribed.
 */

import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { hubPerTest, type TestHub } from './helpers/hub.js';
import { type Frame, WsClient, wsUrl } from './ws-resume-client.js';

let t: TestHub | undefined;
const sockets: WsClient[] = [];
const hubs = hubPerTest(async () => {
  for (const s of sockets.splice(0)) await s.close();
});

interface Agent {
  id: string;
  token: string;
}

/** Sends `count` messages to `to` over REST with a few requests in flight; returns their ids in send order. */
async function sendMany(
  hub: TestHub,
  from: Agent,
  to: string | string[],
  count: number,
  label: string,
  inFlight = 4,
) {
  const ids: string[] = new Array(count);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      const res = await hub.api('POST', '/api/v1/messages', {
        token: from.token,
        body: { to, body: `${label}-${i}` },
      });
      if (res.status !== 200)
        throw new Error(`send ${label}-${i} failed: ${res.status} ${JSON.stringify(res.body)}`);
      ids[i] = res.body.message_id;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return ids;
}

/**
 * One connection: calls `onFrame` for each server frame until it returns false (then the client drops
 * the connection at once, ignoring whatever else is in flight) or the socket closes. Rejects on an error
 * frame; gives up (terminates) if the hub goes silent for `idleMs`, so a missed message fails instead of hanging.
 */
function session(
  hub: TestHub,
  agent: Agent,
  opts: { since?: string; header?: boolean; graceful?: boolean },
  onFrame: (f: Frame) => boolean,
  idleMs = 10_000,
): Promise<'dropped' | 'closed' | 'idle'> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = opts.header ? { authorization: `Bearer ${agent.token}` } : {};
    const ws = new WebSocket(
      wsUrl(hub.url, agent.id, { token: opts.header ? undefined : agent.token, since: opts.since }),
      {
        headers,
      },
    );
    let outcome: 'dropped' | 'closed' | 'idle' = 'closed';
    let stopped = false;
    let idle = setTimeout(onIdle, idleMs);
    function onIdle() {
      outcome = 'idle';
      stopped = true;
      ws.terminate();
    }
    ws.on('message', (data) => {
      if (stopped) return;
      clearTimeout(idle);
      idle = setTimeout(onIdle, idleMs);
      const frame = JSON.parse(String(data)) as Frame;
      if (frame.type === 'error') {
        stopped = true;
        ws.terminate();
        reject(new Error(`error frame: ${JSON.stringify(frame)}`));
        return;
      }
      if (!onFrame(frame)) {
        stopped = true;
        outcome = 'dropped';
        if (opts.graceful) ws.close(1000, 'bye');
        else ws.terminate();
      }
    });
    ws.on('close', () => {
      clearTimeout(idle);
      resolve(outcome);
    });
    ws.on('error', () => {
      /* the close event follows */
    });
  });
}

describe('WebSocket resume', () => {
  it('reconnecting with ?since=<last cursor> misses nothing and repeats nothing while a sender keeps sending', async () => {
    t = await hubs.start({ rateLimit: { enabled: false } });
    const hub = t;
    const sender = await hub.register('Sender');
    const other = await hub.register('Other sender');
    const r = await hub.register('Receiver');
    const noise = await hub.register('Bystander');

    const BACKGROUND = 480;
    const breakpoints = [40, 110, 170, 230, 300, 360, 420];
    const AWAY_BATCH = 6;
    const total = BACKGROUND + breakpoints.length * AWAY_BATCH;

    // The stream: one sender to the receiver, another to a list with a bystander, so cursors interleave.
    const stream = Promise.all([
      sendMany(hub, sender, r.id, BACKGROUND / 2, 'direct', 3),
      sendMany(hub, other, [r.id, noise.id], BACKGROUND / 2, 'list', 3),
    ]);
    stream.catch(() => {});

    const received: Array<{ id: string; cursor: number; body: string }> = [];
    let last = '0';
    let connections = 0;
    let awayBatches = 0;
    const outcomes: string[] = [];
    while (received.length < total && connections < 40) {
      connections++;
      const outcome = await session(
        hub,
        r,
        // Alternate the ways a client authenticates and leaves.
        { since: last, header: connections % 2 === 0, graceful: connections % 3 === 0 },
        (f) => {
          if (f.type !== 'message') return true;
          received.push({ id: f.message.message_id, cursor: Number(f.cursor), body: f.message.body });
          last = f.cursor;
          if (received.length >= total) return false;
          if (breakpoints.length && received.length >= breakpoints[0]) {
            breakpoints.shift();
            return false;
          }
          return true;
        },
      );
      outcomes.push(outcome);
      if (outcome === 'idle') break;
      // While the receiver is away, more messages land in its inbox; it must get them on resume.
      if (received.length < total && awayBatches < 7) {
        awayBatches++;
        await sendMany(hub, sender, r.id, AWAY_BATCH, `away${awayBatches}`, 2);
      }
    }
    await stream;

    // The truth: the receiver's inbox in cursor order.
    const inbox: Array<{ message_id: string; cursor: string }> = [];
    let since = '0';
    for (;;) {
      const page = await hub.api('GET', `/api/v1/messages?since=${since}&limit=500&mark_read=false`, {
        token: r.token,
      });
      inbox.push(...page.body.messages);
      since = page.body.next_cursor;
      if (!page.body.has_more) break;
    }
    expect(inbox).toHaveLength(total);
    expect(outcomes.filter((o) => o === 'dropped').length).toBeGreaterThanOrEqual(7);
    expect(outcomes).not.toContain('idle');
    expect(awayBatches).toBe(7);
    const ids = received.map((x) => x.id);
    expect(new Set(ids).size).toBe(ids.length); // nothing twice
    expect(ids).toEqual(inbox.map((m) => m.message_id)); // nothing missed, in inbox order
    expect(received.map((x) => String(x.cursor))).toEqual(inbox.map((m) => m.cursor));
    for (let i = 1; i < received.length; i++)
      expect(received[i].cursor).toBeGreaterThan(received[i - 1].cursor);
  });

  it('pushes each message to every live connection of the agent, including one that joins mid-stream with since', async () => {
    t = await hubs.start({ rateLimit: { enabled: false } });
    const sender = await t.register('Sender');
    const r = await t.register('Receiver');
    const start = (await t.api('GET', '/api/v1/messages', { token: r.token })).body.next_cursor;
    const conns = [
      await WsClient.connect(t.url, r.id, { token: r.token }),
      await WsClient.connect(t.url, r.id, { token: r.token, header: true }),
      await WsClient.connect(t.url, r.id, { token: r.token, since: start }),
    ];
    sockets.push(...conns);
    const N = 240;
    const direct = sendMany(t, sender, r.id, N / 2, 'direct', 3);
    const broadcast = sendMany(t, sender, 'ALL', N / 2, 'all', 3);
    // A fourth connection joins while messages are flowing, replaying from the start.
    await conns[0].until(() => (conns[0].messages().length >= 30 ? true : undefined), 20_000, '30 messages');
    const late = await WsClient.connect(t.url, r.id, { token: r.token, since: start });
    sockets.push(late);
    conns.push(late);
    const sent = [...(await direct), ...(await broadcast)];

    const inbox = await t.api('GET', `/api/v1/messages?since=${start}&limit=500&mark_read=false`, {
      token: r.token,
    });
    const order = inbox.body.messages.map((m: any) => m.message_id);
    expect([...order].sort()).toEqual([...sent].sort());
    for (const [i, ws] of conns.entries()) {
      await ws.until(
        () => (ws.messages().length >= N ? true : undefined),
        20_000,
        `connection ${i}: ${N} messages`,
      );
      const got = ws.messages().map((f) => f.message.message_id);
      expect(got, `connection ${i}`).toEqual(order);
      expect(ws.frames.filter((f) => f.type === 'error')).toEqual([]);
    }
    // The late joiner marked its replayed frames; the others got only live frames.
    expect(late.messages().some((f) => f.replay === true)).toBe(true);
    expect(conns[0].messages().some((f) => f.replay === true)).toBe(false);
  });

  it('replays from a cursor on connect, then continues live; the ready frame carries the cursor to resume from', async () => {
    t = await hubs.start();
    const sender = await t.register('Sender');
    const r = await t.register('Receiver');
    const first = await WsClient.connect(t.url, r.id, { token: r.token });
    sockets.push(first);
    const ready = first.frames.find((f) => f.type === 'ready')!;
    expect(ready.cursor).toMatch(/^\d+$/);
    await first.close();
    const away = await sendMany(t, sender, r.id, 5, 'away', 1);
    const back = await WsClient.connect(t.url, r.id, { token: r.token, since: ready.cursor });
    sockets.push(back);
    // Replay comes before ready, in order.
    const readyAt = back.frames.findIndex((f) => f.type === 'ready');
    expect(back.frames.slice(0, readyAt).map((f) => f.message?.message_id)).toEqual(away);
    const readyCursor = back.frames[readyAt].cursor;
    expect(readyCursor).toBe(back.frames[readyAt - 1].cursor);
    const live = await sendMany(t, sender, r.id, 3, 'live', 1);
    await back.until(() => (back.messages().length >= 8 ? true : undefined));
    expect(back.messages().map((f) => f.message.message_id)).toEqual([...away, ...live]);
    // Resuming from the ready cursor of a connection replays only what came after it.
    const again = await WsClient.connect(t.url, r.id, { token: r.token, since: readyCursor });
    sockets.push(again);
    expect(again.messages().map((f) => f.message.message_id)).toEqual(live);
  });

  it('leaves no live subscriptions behind when connections close, however they close', async () => {
    t = await hubs.start({ rateLimit: { enabled: false } });
    const r = await t.register('Receiver');
    const channel = `agent:${r.id}`;
    const baseline = t.hub.bus.listenerCount(channel);
    for (let i = 0; i < 20; i++) {
      const ws = WsClient.open(t.url, r.id, { token: r.token, since: i % 2 ? '0' : undefined });
      // Drop some at once, some after ready, some gracefully.
      if (i % 3 === 0) {
        await new Promise<void>((res) => ws.socket.once('open', () => res()));
        ws.socket.terminate();
      } else if (i % 3 === 1) {
        await ws.waitFor((f) => f.type === 'ready');
        ws.socket.terminate();
      } else {
        await ws.waitFor((f) => f.type === 'ready');
        ws.socket.close(1000);
      }
      await ws.waitClosed();
    }
    // The hub notices each close on its own schedule; wait (bounded) for it to let go.
    const deadline = Date.now() + 10_000;
    while (t.hub.bus.listenerCount(channel) !== baseline && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 20));
    }
    expect(t.hub.bus.listenerCount(channel)).toBe(baseline);
    expect((await t.api('GET', '/health')).status).toBe(200);
  });
});
