/**
 * (a) Durable message throughput and end-to-end latency between N WebSocket agent pairs.
 *
 * Pair i: sender S_i sends `{"type":"send","id":seq,"to":R_i,"body":"<rep>:<seq>:xxx…"}` (a body of
 * exactly `bodyBytes` characters); the hub answers S_i with `result` once the message is committed
 * (the durability acknowledgement) and pushes a `message` frame to R_i. End-to-end latency is from
 * S_i's `ws.send` call to R_i's receipt of the `message` frame (both in this process, one clock).
 *
 * Two modes: a fixed offered rate (open loop, paced every millisecond, round-robin over the pairs)
 * and saturation (each sender keeps `window` unacknowledged sends outstanding). Saturation with
 * `batch` set sends `send_batch` frames of that many messages instead (`{"type":"send_batch","id":
 * <first seq>,"messages":[…]}`), still `window` messages outstanding per sender; the hub answers a
 * frame with one result slot per message, each message's ack latency measured from its frame's send.
 */
import { CpuMeter, type HubProcess, registerMany } from '../lib/hub.js';
import { round, roundStats, summarize, until } from '../lib/stats.js';
import { closeAll, connectMany, type WsAgent } from '../lib/ws-agent.js';

export interface WsRep {
  mode: 'rate' | 'saturation';
  offeredRate?: number;
  window?: number;
  /** Messages per `send_batch` frame (saturation only; unset: one `send` frame per message). */
  batch?: number;
  durationS: number;
  sent: number;
  acked: number;
  delivered: number;
  lost: number;
  duplicates: number;
  errors: number;
  firstError?: string;
  /** Delivered messages per second, from the first send to the last receipt. */
  deliveredPerSec: number;
  /** Sends per second actually issued during the sending phase. */
  sendRate: number;
  e2eMs: { n: number; p50: number; p90: number; p99: number; max: number };
  ackMs: { n: number; p50: number; p90: number; p99: number; max: number };
  /** Whole hub process (all threads), % of one core. */
  hubCpuPct: number;
  /** Hub main thread on a CPU, and runnable but waiting for one (starved by other processes). */
  hubMainThreadPct: number;
  hubRunqueueWaitPct: number;
  /** Delivered messages per CPU-second of the hub process: less sensitive to a noisy machine. */
  perHubCpuSecond: number;
  clientCpuPct: number;
  /** Rate mode: the hub fell so far behind that sending stopped early. */
  overloaded?: boolean;
}

interface PairState {
  sentAt: number[];
  seen: Uint8Array;
  sent: number;
}

export class WsPairs {
  private tag = 0;

  private constructor(
    readonly hub: HubProcess,
    readonly senders: WsAgent[],
    readonly receivers: WsAgent[],
    readonly bodyBytes: number,
  ) {}

  /**
   * `receiverHub`: another node of the same cluster; the receivers connect there (cross-node
   * delivery), the senders to `hub`. The CPU figures are `hub`'s.
   */
  static async open(
    hub: HubProcess,
    pairs: number,
    bodyBytes: number,
    receiverHub?: HubProcess,
  ): Promise<WsPairs> {
    const agents = await registerMany(hub.url, 'bench-ws', pairs * 2, 8);
    const senders = await connectMany(
      hub.url,
      agents.filter((_, i) => i % 2 === 0),
      8,
    );
    const receivers = await connectMany(
      (receiverHub ?? hub).url,
      agents.filter((_, i) => i % 2 === 1),
      8,
    );
    return new WsPairs(hub, senders, receivers, bodyBytes);
  }

  close(): Promise<void> {
    return closeAll([...this.senders, ...this.receivers]);
  }

  private body(tag: number, seq: number): string {
    const head = `${tag}:${seq}:`;
    return head + 'x'.repeat(Math.max(0, this.bodyBytes - head.length));
  }

  /**
   * One repetition. `rate` set: open-loop at that many msg/s in total; otherwise saturation with
   * `window` outstanding sends per sender. `maxMessages` bounds the run whatever happens.
   */
  async run(opts: {
    durationMs: number;
    rate?: number;
    window?: number;
    batch?: number;
    maxMessages?: number;
    drainMs?: number;
  }): Promise<WsRep> {
    const tag = ++this.tag;
    const n = this.senders.length;
    const maxMessages = opts.maxMessages ?? 2_000_000;
    const perPairCap = Math.ceil(maxMessages / n) + 1;
    const state: PairState[] = Array.from({ length: n }, () => ({
      sentAt: [],
      seen: new Uint8Array(perPairCap),
      sent: 0,
    }));
    const e2e: number[] = [];
    const ack: number[] = [];
    let sent = 0;
    let acked = 0;
    let delivered = 0;
    let duplicates = 0;
    let errors = 0;
    let firstError: string | undefined;
    let firstSend = Number.NaN;
    let lastSend = Number.NaN;
    let lastReceipt = Number.NaN;
    let sending = true;
    const saturation = opts.rate === undefined;
    const window = opts.window ?? 32;
    const batch = saturation && opts.batch && opts.batch > 1 ? opts.batch : undefined;

    const sendOne = (i: number): boolean => {
      if (sent >= maxMessages) return false;
      const s = state[i];
      const seq = s.sent++;
      if (seq >= perPairCap) return false;
      const frame = `{"type":"send","id":${seq},"to":"${this.receivers[i].agent.id}","body":"${this.body(tag, seq)}"}`;
      const now = performance.now();
      s.sentAt[seq] = now;
      if (sent === 0) firstSend = now;
      lastSend = now;
      sent++;
      this.senders[i].ws.send(frame);
      return true;
    };

    /** Up to `batch` messages of sender i as one send_batch frame whose id is its first seq. */
    const sendBatch = (i: number): boolean => {
      const s = state[i];
      const first = s.sent;
      const count = Math.min(batch!, maxMessages - sent, perPairCap - first);
      if (count <= 0) return false;
      const to = this.receivers[i].agent.id;
      const parts: string[] = [];
      for (let k = 0; k < count; k++) parts.push(`{"to":"${to}","body":"${this.body(tag, first + k)}"}`);
      const now = performance.now();
      for (let k = 0; k < count; k++) s.sentAt[first + k] = now;
      if (sent === 0) firstSend = now;
      lastSend = now;
      s.sent += count;
      sent += count;
      this.senders[i].ws.send(`{"type":"send_batch","id":${first},"messages":[${parts.join(',')}]}`);
      return true;
    };
    const next = (i: number) => (batch ? sendBatch(i) : sendOne(i));

    for (let i = 0; i < n; i++) {
      const s = state[i];
      this.senders[i].onResult = (frame, at) => {
        const slots = frame.result?.results;
        if (slots) {
          const first = frame.id as number;
          slots.forEach((slot, k) => {
            acked++;
            ack.push(at - s.sentAt[first + k]);
            if (!slot.success) {
              errors++;
              firstError ??= `${slot.error?.code}: ${slot.error?.message}`;
            }
          });
        } else {
          acked++;
          ack.push(at - s.sentAt[frame.id as number]);
        }
        if (saturation && sending) next(i);
      };
      this.senders[i].onError = (frame, at) => {
        errors++;
        firstError ??= `${frame.error?.code}: ${frame.error?.message}`;
        if (typeof frame.id === 'number') {
          // A refused batch frame: all of its messages count as answered (and failed).
          const count = batch ? Math.min(batch, s.sent - frame.id) : 1;
          for (let k = 0; k < count; k++) {
            acked++;
            ack.push(at - s.sentAt[frame.id + k]);
          }
          errors += count - 1;
          if (saturation && sending) next(i);
        }
      };
      this.receivers[i].onMessage = (frame, at) => {
        const body = frame.message?.body;
        if (typeof body !== 'string') return;
        const c1 = body.indexOf(':');
        if (Number(body.slice(0, c1)) !== tag) return; // left over from an earlier repetition
        const seq = Number.parseInt(body.slice(c1 + 1), 10);
        if (s.seen[seq]) {
          duplicates++;
          return;
        }
        s.seen[seq] = 1;
        delivered++;
        lastReceipt = at;
        e2e.push(at - s.sentAt[seq]);
      };
    }

    const cpu = new CpuMeter(this.hub.pid);
    const started = performance.now();
    const endAt = started + opts.durationMs;
    let overloaded = false;

    if (saturation) {
      const frames = batch ? Math.max(1, Math.ceil(window / batch)) : window;
      for (let w = 0; w < frames; w++) for (let i = 0; i < n; i++) next(i);
      await until(() => performance.now() >= endAt || sent >= maxMessages, opts.durationMs + 1000, 20);
      sending = false;
    } else {
      const rate = opts.rate!;
      const total = Math.min(maxMessages, Math.round((rate * opts.durationMs) / 1000));
      // Never let the backlog of unacknowledged sends grow past a few seconds' worth.
      const maxOutstanding = Math.max(1000, rate * 3);
      let rr = 0;
      await new Promise<void>((resolve) => {
        const tick = setInterval(() => {
          const now = performance.now();
          const due = Math.min(total, Math.floor(((now - started) * rate) / 1000));
          while (sent < due) {
            if (sent - acked > maxOutstanding) {
              overloaded = true;
              break;
            }
            sendOne(rr);
            rr = (rr + 1) % n;
          }
          if (sent >= total || overloaded || now > endAt + 2000) {
            clearInterval(tick);
            resolve();
          }
        }, 1);
      });
      sending = false;
    }

    await until(() => acked >= sent && delivered + errors >= sent, opts.drainMs ?? 15000, 5);
    const usage = cpu.read();
    for (let i = 0; i < n; i++) {
      this.senders[i].onResult = () => {};
      this.senders[i].onError = () => {};
      this.receivers[i].onMessage = () => {};
    }
    const closedEarly = [...this.senders, ...this.receivers].find((c) => c.closed);
    if (closedEarly) throw new Error(`a benchmark socket was closed by the hub: ${closedEarly.closeReason}`);

    const spanS = (lastReceipt - firstSend) / 1000;
    return {
      mode: saturation ? 'saturation' : 'rate',
      offeredRate: opts.rate,
      window: saturation ? window : undefined,
      batch,
      durationS: opts.durationMs / 1000,
      sent,
      acked,
      delivered,
      lost: sent - delivered - errors,
      duplicates,
      errors,
      firstError,
      deliveredPerSec: round(delivered / spanS, 0),
      sendRate: round(sent / ((lastSend - firstSend) / 1000 || 1), 0),
      e2eMs: roundStats(summarize(e2e)),
      ackMs: roundStats(summarize(ack)),
      hubCpuPct: round(usage.hubCpuPct, 0),
      hubMainThreadPct: round(usage.hubMainThreadPct, 0),
      hubRunqueueWaitPct: round(usage.hubRunqueueWaitPct, 0),
      perHubCpuSecond: round((delivered / spanS / usage.hubCpuPct) * 100, 0),
      clientCpuPct: round(usage.clientCpuPct, 0),
      overloaded: saturation ? undefined : overloaded,
    };
  }
}
