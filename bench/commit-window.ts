/**
 * Standalone measurement (not part of `npm run bench`): the SQLite batcher's commit window
 * (`src/store/sqlite/batcher.ts`) with paced senders, in one process, without the rest of the hub.
 *
 * A child process paces RATE messages/s over 10 TCP sockets (a 1 ms interval, round-robin, one write
 * per message, as bench (a)'s fixed rate does); this process stores each line it reads with
 * `SqliteStore.insertMessage` (a real file, the checkpointer on) and writes an ack line after the
 * commit. Rounds alternate the window on (WINDOW_MS, default 1) and off (0). Per round: the main
 * thread's CPU µs per message (user + system, from /proc), the process's (with the checkpointer's
 * worker), writes per commit, windows and misses, and enqueue → commit latency p50/p99. Then one
 * writer back to back (each write queued after the previous one's ack) for 2 s per variant: writes/s.
 *
 *   npm run build && node dist/bench/commit-window.js [rate=5000] [rounds=6] [seconds=3]
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { SqliteStore } from '../src/store/sqlite/index.js';
import type { NewMessage } from '../src/store/types.js';

const PAIRS = 10;
const WINDOW_MS = Number(process.env.WINDOW_MS ?? 1);

if (process.argv[2] === 'sender') sender();

function sender() {
  // Child: paced sender. argv: sender port rate ms
  const [port, rate, ms] = process.argv.slice(3).map(Number);
  const sockets: Socket[] = [];
  let ready = 0;
  for (let i = 0; i < PAIRS; i++) {
    const s = createConnection({ port, host: '127.0.0.1', noDelay: true }, () => {
      if (++ready === PAIRS) start();
    });
    s.on('data', () => {});
    sockets.push(s);
  }
  function start() {
    const started = performance.now();
    const total = Math.round((rate * ms) / 1000);
    let sent = 0;
    let rr = 0;
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - started) * rate) / 1000));
      while (sent < due) {
        sockets[rr].write(`${sent}\n`);
        sent++;
        rr = (rr + 1) % PAIRS;
      }
      if (sent >= total) {
        clearInterval(tick);
        for (const s of sockets) s.end();
      }
    }, 1);
  }
}

function threadCpuUs(): number {
  // utime + stime of the main thread, in clock ticks (100 per second).
  const f = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const parts = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(parts[11]) + Number(parts[12])) * 10_000;
}

function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const rate = Number(process.argv[2] ?? 5000);
  const rounds = Number(process.argv[3] ?? 6);
  const seconds = Number(process.argv[4] ?? 3);
  const dir = mkdtempSync(join(tmpdir(), 'sb-window-'));
  const store = new SqliteStore(join(dir, 'hub.db'));
  const batcher = store.batcher as unknown as {
    windowMs: number;
    stats: { batches: number; writes: number; windows: number; windowMisses: number };
  };
  const now = new Date().toISOString();
  for (let i = 0; i < PAIRS * 2; i++)
    await store.createAgent({
      id: `ag${i}`,
      name: `ag${i}`,
      sessionId: null,
      project: 'default',
      role: null,
      description: null,
      capabilities: [],
      metadata: {},
      tokenHash: `h${i}`,
      declaredStatus: 'online',
      createdAt: now,
      lastSeenAt: now,
      retiredAt: null,
    } as never);
  let seq = 0;
  const message = (pair: number): NewMessage => {
    const id = `m${String(seq++).padStart(9, '0')}${Math.random().toString(36).slice(2, 10)}`;
    return {
      id,
      from: `ag${pair * 2}`,
      to: `ag${pair * 2 + 1}`,
      type: 'message',
      subject: null,
      body: 'x'.repeat(100),
      threadId: id,
      replyTo: null,
      correlationId: null,
      importance: 'normal',
      ackRequired: false,
      project: 'default',
      createdAt: new Date().toISOString(),
      expiresAt: null,
      idempotencyKey: null,
      recipients: [`ag${pair * 2 + 1}`],
    };
  };

  const latencies: number[] = [];
  let stored = 0;
  let pairOf = 0;
  const server = createServer((sock) => {
    const pair = pairOf++ % PAIRS;
    sock.setNoDelay(true);
    let buf = '';
    sock.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        buf = buf.slice(nl + 1);
        const t0 = performance.now();
        void store.insertMessage(message(pair)).then(() => {
          latencies.push(performance.now() - t0);
          stored++;
          sock.write('ok\n');
        });
      }
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const self = fileURLToPath(import.meta.url);

  const runRound = async (windowMs: number) => {
    batcher.windowMs = windowMs;
    latencies.length = 0;
    stored = 0;
    const s0 = { ...batcher.stats };
    const c0 = threadCpuUs();
    const p0 = process.cpuUsage();
    const child = fork(self, ['sender', String(port), String(rate), String(seconds * 1000)], {
      stdio: 'ignore',
    });
    await new Promise((r) => child.on('exit', r));
    const expected = Math.round(rate * seconds);
    while (stored < expected) await new Promise((r) => setTimeout(r, 5));
    const cpu = threadCpuUs() - c0;
    const p = process.cpuUsage(p0);
    const s = batcher.stats;
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      windowMs,
      mainUs: cpu / stored,
      procUs: (p.user + p.system) / stored,
      perCommit: (s.writes - s0.writes) / (s.batches - s0.batches),
      windows: s.windows - s0.windows,
      misses: s.windowMisses - s0.windowMisses,
      p50: pct(sorted, 50),
      p99: pct(sorted, 99),
    };
  };

  const sequential = async (windowMs: number) => {
    batcher.windowMs = windowMs;
    const end = performance.now() + 2000;
    let n = 0;
    while (performance.now() < end) {
      await store.insertMessage(message(0));
      n++;
    }
    return n / 2;
  };

  await runRound(WINDOW_MS); // warm-up
  const results: Array<Awaited<ReturnType<typeof runRound>>> = [];
  for (let r = 0; r < rounds; r++) {
    for (const w of r % 2 ? [0, WINDOW_MS] : [WINDOW_MS, 0]) {
      const x = await runRound(w);
      results.push(x);
      console.log(
        `window ${w} ms: main ${x.mainUs.toFixed(1)} µs/msg, process ${x.procUs.toFixed(1)}, ${x.perCommit.toFixed(2)} writes/commit, windows ${x.windows} (misses ${x.misses}), p50 ${x.p50.toFixed(2)} ms p99 ${x.p99.toFixed(2)} ms`,
      );
    }
  }
  for (const w of [WINDOW_MS, 0]) {
    const xs = results.filter((x) => x.windowMs === w);
    console.log(
      `median, window ${w} ms: main ${med(xs.map((x) => x.mainUs)).toFixed(1)} µs/msg, process ${med(xs.map((x) => x.procUs)).toFixed(1)}, ${med(xs.map((x) => x.perCommit)).toFixed(2)} writes/commit, p50 ${med(xs.map((x) => x.p50)).toFixed(2)} p99 ${med(xs.map((x) => x.p99)).toFixed(2)} ms`,
    );
  }
  for (let r = 0; r < 2; r++)
    for (const w of [WINDOW_MS, 0])
      console.log(`one writer back to back, window ${w} ms: ${await sequential(w)} writes/s`);
  server.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

if (process.argv[2] !== 'sender') await main();
