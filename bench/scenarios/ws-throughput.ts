/**
 * (a) Durable message throughput and end-to-end latency between N WebSocket agent pairs.
 *
 * Pair i: sender S_i sends `{"type":"send","id":seq,"to":R_i,"body":"<rep>:<seq>:xxx…"}` (a body of
 * exactly `bodyBytes` characters); the hub answers S_i with `result` once the message is committed
 * (the durability acknowledgement) and pushes a `message` frame to R_i. End-to-end latency is from
 * S_i's `ws.send` call to R_i's receipt of the `message` frame (both in this process, one clock).
 *
 * Two modes: a fixed offered rate (open loop, paced every millisecond, round-robin over the pairs)
 * and saturation (each sender keeps `window` unacknowledged sends outstanding).
 */
import { CpuMeter, type HubProcess, registerMany } from '../lib/hub.js';
import { round, roundStats, summarize, until } from '../lib/stats.js';
import { closeAll, connectMany, type WsAgent } from '../lib/ws-agent.js';

export interface WsRep {
  mode: 'rate' | 'saturation';
  offeredRate?: number;
  window?: number;
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

    for (let i = 0; i < n; i++) {
      const s = state[i];
      this.senders[i].onResult = (frame, at) => {
        acked++;
        ack.push(at - s.sentAt[frame.id as number]);
        if (saturation && sending) sendOne(i);
      };
      this.senders[i].onError = (frame, at) => {
        errors++;
        firstError ??= `${frame.error?.code}: ${frame.error?.message}`;
        if (typeof frame.id === 'number') {
          acked++;
          ack.push(at - s.sentAt[frame.id]);
          if (saturation && sending) sendOne(i);
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
      for (let w = 0; w < window; w++) for (let i = 0; i < n; i++) sendOne(i);
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
