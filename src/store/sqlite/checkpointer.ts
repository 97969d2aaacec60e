/**
 * WAL checkpoints off the event loop. SQLite's auto-checkpoint runs inside the commit that crosses
 * 1,000 WAL frames, on the thread that commits: it copies the frames into the database file and
 * fsyncs the WAL and the file, which held the hub's event loop 13–17 ms on average (up to 180 ms on
 * a loaded machine) every ~100 commits when commits are small (a paced sender: a few messages each).
 *
 * Here a worker thread with its own connection to the same file runs a PASSIVE checkpoint every
 * `everyMs` (copying and fsyncing while the hub keeps committing; it never takes the write lock).
 * Such a checkpoint copies only the frames committed before it started, and SQLite starts the WAL
 * over only when every frame is copied, so under a steady write load the WAL would keep growing:
 * the hub's own connection keeps an auto-checkpoint, at `restartFrames` instead of 1,000. It finds
 * nearly every frame copied already (only those since the worker's last pass are left), and the
 * next commit starts the WAL from the beginning; while the worker is mid-pass it returns at once
 * (busy) and the next commit tries again. If the worker fails, that auto-checkpoint alone bounds the
 * WAL. Durability is unchanged: commits, their acks and `synchronous` are as before; the worker's
 * connection syncs the same way (a checkpoint in any thread is safe across a crash: the WAL is
 * replayed on the next open).
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';

/** Plain JavaScript (no build step): the worker runs the same way from dist/ and from the sources. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
db.pragma('synchronous = ' + workerData.synchronous);
db.pragma('wal_autocheckpoint = 0');
let timer = null;
let last = -1;
function pass() {
  timer = null;
  const [r] = db.pragma('wal_checkpoint(PASSIVE)');
  parentPort.postMessage({ busy: r.busy, log: r.log, checkpointed: r.checkpointed });
  // Nothing committed since the last pass: the hub is idle, look again later.
  timer = setTimeout(pass, r.log === last ? workerData.idleMs : workerData.everyMs);
  last = r.log;
}
parentPort.on('message', () => {
  if (timer) clearTimeout(timer);
  db.close();
  parentPort.close();
});
timer = setTimeout(pass, workerData.everyMs);
`;

export interface CheckpointerOptions {
  /** Pause between two worker checkpoints while the hub writes. */
  everyMs?: number;
  /** Pause after a pass that found nothing new (an idle hub). */
  idleMs?: number;
  /** WAL frames past which the hub's own connection checkpoints (4 KiB each): SQLite's default is 1,000. */
  restartFrames?: number;
}

/**
 * The default `restartFrames`: the WAL grows to at most about 64 MiB between restarts. The hub's own
 * checkpoint is short but still fsyncs the WAL and the database file (3–4 ms here, on the event loop);
 * at 5,000 msg/s a commit writes about 20,000 frames a second, so at 4,096 frames that fsync held a
 * commit (and every message queued behind it) five times a second: 52 commits over 3 ms in 13 s of a
 * fixed-rate run, 17 at 16,384 (session 11).
 */
export const RESTART_FRAMES = 16_384;

export class WalCheckpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  /** Worker passes, and the frames they copied into the database file: for tests and benchmarks. */
  readonly stats = { passes: 0, copied: 0 };

  constructor(db: Database, path: string, opts: CheckpointerOptions = {}) {
    // The hub's connection checkpoints only past `restartFrames`: by then the worker has copied
    // nearly every frame, so that checkpoint is short, and it lets the WAL start over.
    db.pragma(`wal_autocheckpoint = ${opts.restartFrames ?? RESTART_FRAMES}`);
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        driver: createRequire(import.meta.url).resolve('better-sqlite3'),
        path,
        synchronous: Number(db.pragma('synchronous', { simple: true })),
        everyMs: opts.everyMs ?? 25,
        idleMs: opts.idleMs ?? 1000,
      },
    });
    // The worker's timer must not keep the process alive on its own.
    this.worker.unref();
    this.worker.on('message', (r: { checkpointed: number }) => {
      this.stats.passes++;
      this.stats.copied += Math.max(0, r.checkpointed);
    });
    // A failed worker leaves the hub's own auto-checkpoint in charge; nothing else depends on it.
    this.worker.on('error', () => {});
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
  }

  /** Stops the worker and waits until its connection is closed. */
  async stop(): Promise<void> {
    // Referenced again, so the process waits for the worker to close instead of exiting mid-close.
    this.worker.ref();
    this.worker.postMessage('stop');
    await this.exited;
  }
}
