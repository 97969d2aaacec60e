/**
 * (e) Task claim throughput: one creator posts `tasks` open tasks over its WebSocket (`call`
 * create_task frames, `window` in flight), then N worker agents each loop `claim_task {}` (the best
 * open task) → `complete_task` over their own WebSockets until the queue is empty. Reports tasks
 * created per second, tasks claimed and completed per second (from the first claim to the last
 * completion), claim→complete round-trip latency per task, conflicts (should be 0: claim-next never
 * races), and whether every task ended completed exactly once.
 */
import { CpuMeter, type HubProcess, registerMany } from '../lib/hub.js';
import { round, roundStats, summarize } from '../lib/stats.js';
import { closeAll, connectMany, type ServerFrame, type WsAgent } from '../lib/ws-agent.js';

export interface TasksRep {
  workers: number;
  tasks: number;
  createdPerSec: number;
  /** Tasks claimed and completed per second. */
  completedPerSec: number;
  /** One task: claim sent → completion answered, per worker. */
  cycleMs: { n: number; p50: number; p90: number; p99: number; max: number };
  completed: number;
  errors: number;
  firstError?: string;
  hubCpuPct: number;
  clientCpuPct: number;
}

/** call frames with ids, answered by `result` or `error` frames. */
class Caller {
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(readonly conn: WsAgent) {
    const settle = (frame: ServerFrame, ok: boolean) => {
      const p = this.pending.get(Number(frame.id));
      if (!p) return;
      this.pending.delete(Number(frame.id));
      if (ok) p.resolve((frame as { result?: unknown }).result);
      else p.reject(new Error(`${frame.error?.code}: ${frame.error?.message}`));
    };
    conn.onResult = (f) => settle(f, true);
    conn.onError = (f) => settle(f, false);
  }

  call<T>(op: string, input: Record<string, unknown>): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.conn.send({ type: 'call', id, op, input });
    });
  }
}

export class TaskQueueBench {
  private constructor(
    readonly hub: HubProcess,
    readonly creator: Caller,
    readonly workers: Caller[],
    readonly conns: WsAgent[],
  ) {}

  static async open(hub: HubProcess, workers: number): Promise<TaskQueueBench> {
    const agents = await registerMany(hub.url, 'bench-task', workers + 1, 8);
    const conns = await connectMany(hub.url, agents, 8);
    const callers = conns.map((c) => new Caller(c));
    return new TaskQueueBench(hub, callers[0], callers.slice(1), conns);
  }

  close(): Promise<void> {
    return closeAll(this.conns);
  }

  async rep(tasks: number, window: number): Promise<TasksRep> {
    let errors = 0;
    let firstError: string | undefined;
    const fail = (err: unknown) => {
      errors++;
      firstError ??= (err as Error).message;
    };

    const createStart = performance.now();
    let created = 0;
    const post = async () => {
      while (created < tasks) {
        const i = created++;
        await this.creator.call('create_task', { title: `bench task ${i}`, input: { i } }).catch(fail);
      }
    };
    await Promise.all(Array.from({ length: window }, post));
    const createdPerSec = tasks / ((performance.now() - createStart) / 1000);

    const cpu = new CpuMeter(this.hub.pid);
    const cycles: number[] = [];
    let completed = 0;
    const start = performance.now();
    const work = async (w: Caller) => {
      for (;;) {
        const t0 = performance.now();
        const claimed = await w.call<{ task: { task_id: string } | null }>('claim_task', {}).catch((err) => {
          fail(err);
          return { task: null };
        });
        if (!claimed.task) return;
        try {
          await w.call('complete_task', { task_id: claimed.task.task_id, result: { ok: true } });
          completed++;
          cycles.push(performance.now() - t0);
        } catch (err) {
          fail(err);
        }
      }
    };
    await Promise.all(this.workers.map(work));
    const seconds = (performance.now() - start) / 1000;
    const usage = cpu.read();
    return {
      workers: this.workers.length,
      tasks,
      createdPerSec: round(createdPerSec, 0),
      completedPerSec: round(completed / seconds, 0),
      cycleMs: roundStats(summarize(cycles)),
      completed,
      errors,
      firstError,
      hubCpuPct: round(usage.hubCpuPct, 0),
      clientCpuPct: round(usage.clientCpuPct, 0),
    };
  }
}
