/**
 * (d) Baselines on the same machine in the same run: Redis pub/sub (one publisher, one subscriber)
 * and Redis Streams (pipelined XADD, one XREAD BLOCK reader), 100-byte messages, through ioredis.
 * redis-server runs as a child process on a free loopback port, with persistence off (no RDB, no
 * AOF), i.e. not durable: the hub's numbers are durable (committed to SQLite WAL) and Redis's are not.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Redis } from 'ioredis';
import { removeDir, stopChild, track, trackDir } from '../lib/children.js';
import { cpuSeconds, mainThreadSched } from '../lib/hub.js';
import { round, roundStats, sleep, summarize, until } from '../lib/stats.js';

export interface RedisRep {
  kind: 'pubsub' | 'streams';
  sent: number;
  received: number;
  /** Messages per second received by the subscriber / reader, first send to last receipt. */
  perSec: number;
  e2eMs: { n: number; p50: number; p90: number; p99: number; max: number };
  redisCpuPct: number;
  /** redis-server's main thread runnable but waiting for a CPU, % of the interval. */
  redisRunqueueWaitPct: number;
  clientCpuPct: number;
}

/**
 * redis-server on PATH (or /usr/bin, /usr/sbin, /usr/local/bin). `SWITCHBOARD_BENCH_REDIS_SERVER`
 * overrides the search: a path to use, or `none` to skip the baselines.
 */
export function findRedisServer(): string | undefined {
  const override = process.env.SWITCHBOARD_BENCH_REDIS_SERVER;
  if (override) return override !== 'none' && existsSync(override) ? override : undefined;
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/sbin', '/usr/local/bin'];
  for (const d of dirs) {
    if (!d) continue;
    const p = join(d, 'redis-server');
    if (existsSync(p)) return p;
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export class RedisBaseline {
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly version: string,
    private readonly dir: string,
  ) {}

  static async start(binary: string): Promise<RedisBaseline> {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-redis-'));
    trackDir(dir);
    const port = await freePort();
    const child = spawn(
      binary,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
        '--dir',
        dir,
        '--loglevel',
        'warning',
        '--protected-mode',
        'yes',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    track(child);
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString()).slice(-2000);
    });
    const probe = new Redis({
      port,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    probe.on('error', () => {});
    let version = '?';
    try {
      for (let i = 0; i < 100; i++) {
        if (child.exitCode !== null) throw new Error(`redis-server exited: ${stderr.trim()}`);
        try {
          if (probe.status === 'wait' || probe.status === 'end') await probe.connect();
          const info = await probe.info('server');
          version = /redis_version:(\S+)/.exec(info)?.[1] ?? '?';
          break;
        } catch {
          probe.disconnect();
          await sleep(100);
          if (i === 99) throw new Error(`redis-server on port ${port} did not answer: ${stderr.trim()}`);
        }
      }
    } catch (err) {
      await stopChild(child, 1000);
      removeDir(dir);
      throw err;
    } finally {
      probe.disconnect();
    }
    return new RedisBaseline(child, port, version, dir);
  }

  private client(): Redis {
    const r = new Redis({
      port: this.port,
      host: '127.0.0.1',
      maxRetriesPerRequest: 1,
      enableAutoPipelining: true,
    });
    r.on('error', () => {});
    return r;
  }

  /** Pub/sub: the publisher keeps `window` PUBLISH commands outstanding; latency travels in the payload. */
  async pubsub(
    durationMs: number,
    bodyBytes: number,
    window = 256,
    maxMessages = 3_000_000,
  ): Promise<RedisRep> {
    const pub = this.client();
    const sub = this.client();
    const channel = `bench:${Date.now()}:${Math.random()}`;
    const e2e: number[] = [];
    let received = 0;
    let sent = 0;
    let acked = 0;
    let lastReceipt = Number.NaN;
    try {
      await sub.subscribe(channel);
      sub.on('message', (_ch: string, payload: string) => {
        const at = performance.now();
        e2e.push(at - Number.parseFloat(payload));
        received++;
        lastReceipt = at;
      });
      await pub.ping();
      const pad = (head: string) => head + ' '.repeat(Math.max(0, bodyBytes - head.length));
      const cpu0 = cpuSeconds(this.child.pid!);
      const sched0 = mainThreadSched(this.child.pid!);
      const self0 = process.cpuUsage();
      const firstSend = performance.now();
      const endAt = firstSend + durationMs;
      let sending = true;
      const publishOne = () => {
        if (!sending || sent >= maxMessages) return;
        sent++;
        pub.publish(channel, pad(`${performance.now()}|`)).then(
          () => {
            acked++;
            if (performance.now() >= endAt) sending = false;
            publishOne();
          },
          () => {
            acked++;
          },
        );
      };
      for (let i = 0; i < window; i++) publishOne();
      await until(() => !sending || sent >= maxMessages, durationMs + 2000, 20);
      sending = false;
      await until(() => acked >= sent && received >= sent, 10000, 5);
      const wall = (performance.now() - firstSend) / 1000;
      const self = process.cpuUsage(self0);
      return {
        kind: 'pubsub',
        sent,
        received,
        perSec: round(received / ((lastReceipt - firstSend) / 1000), 0),
        e2eMs: roundStats(summarize(e2e)),
        redisCpuPct: round(((cpuSeconds(this.child.pid!) - cpu0) / wall) * 100, 0),
        redisRunqueueWaitPct: this.runqueueWaitPct(sched0, wall),
        clientCpuPct: round(((self.user + self.system) / 1e6 / wall) * 100, 0),
      };
    } finally {
      pub.disconnect();
      sub.disconnect();
    }
  }

  /** Streams: XADD in pipelines of `batch`, `inFlight` pipelines outstanding; one reader with XREAD BLOCK. */
  async streams(
    durationMs: number,
    bodyBytes: number,
    batch = 100,
    inFlight = 4,
    maxMessages = 3_000_000,
  ): Promise<RedisRep> {
    const writer = this.client();
    const reader = this.client();
    const key = `bench:stream:${Date.now()}:${Math.random()}`;
    const e2e: number[] = [];
    let received = 0;
    let sent = 0;
    let lastReceipt = Number.NaN;
    let reading = true;
    try {
      await Promise.all([writer.ping(), reader.ping()]);
      const pad = (head: string) => head + ' '.repeat(Math.max(0, bodyBytes - head.length));
      const readLoop = (async () => {
        let lastId = '0-0';
        while (reading) {
          const res = (await reader.xread('COUNT', 1000, 'BLOCK', 200, 'STREAMS', key, lastId)) as Array<
            [string, Array<[string, string[]]>]
          > | null;
          if (!res) continue;
          const at = performance.now();
          for (const [, entries] of res) {
            for (const [id, fields] of entries) {
              e2e.push(at - Number.parseFloat(fields[1]));
              received++;
              lastId = id;
            }
          }
          lastReceipt = at;
        }
      })().catch(() => {});
      const cpu0 = cpuSeconds(this.child.pid!);
      const sched0 = mainThreadSched(this.child.pid!);
      const self0 = process.cpuUsage();
      const firstSend = performance.now();
      const endAt = firstSend + durationMs;
      const writeLoop = async () => {
        while (performance.now() < endAt && sent < maxMessages) {
          const p = writer.pipeline();
          for (let i = 0; i < batch; i++) p.xadd(key, '*', 'd', pad(`${performance.now()}|`));
          sent += batch;
          await p.exec();
        }
      };
      await Promise.all(Array.from({ length: inFlight }, writeLoop));
      await until(() => received >= sent, 10000, 5);
      reading = false;
      const wall = (performance.now() - firstSend) / 1000;
      const self = process.cpuUsage(self0);
      await readLoop;
      return {
        kind: 'streams',
        sent,
        received,
        perSec: round(received / ((lastReceipt - firstSend) / 1000), 0),
        e2eMs: roundStats(summarize(e2e)),
        redisCpuPct: round(((cpuSeconds(this.child.pid!) - cpu0) / wall) * 100, 0),
        redisRunqueueWaitPct: this.runqueueWaitPct(sched0, wall),
        clientCpuPct: round(((self.user + self.system) / 1e6 / wall) * 100, 0),
      };
    } finally {
      reading = false;
      await writer.del(key).catch(() => {});
      writer.disconnect();
      reader.disconnect();
    }
  }

  private runqueueWaitPct(sched0: { waitNs: number } | undefined, wallS: number): number {
    const now = mainThreadSched(this.child.pid!);
    return now && sched0 ? round(((now.waitNs - sched0.waitNs) / 1e9 / wallS) * 100, 0) : Number.NaN;
  }

  async stop(): Promise<void> {
    await stopChild(this.child, 3000);
    removeDir(this.dir);
  }
}
