/** Runs the task claim-throughput section (e) on its own hub and renders its table rows. */
import { startHub } from '../lib/hub.js';
import { medianOf, round } from '../lib/stats.js';
import { TaskQueueBench, type TasksRep } from './tasks.js';

export interface TasksResult {
  tasksPerRep: number;
  runs: Array<{
    workers: number;
    reps: TasksRep[];
    completedPerSec: number;
    cycleP50: number;
    cycleP99: number;
  }>;
  error?: string;
}

export async function runTaskBench(
  opts: { quick: boolean; reps: number },
  log: (line: string) => void,
): Promise<TasksResult> {
  const tasks = opts.quick ? 500 : 2000;
  const result: TasksResult = { tasksPerRep: tasks, runs: [] };
  const hub = await startHub();
  try {
    for (const workers of opts.quick ? [1, 8] : [1, 4, 16]) {
      const bench = await TaskQueueBench.open(hub, workers);
      try {
        await bench.rep(Math.min(200, tasks), 16); // warm-up
        const reps: TasksRep[] = [];
        for (let i = 0; i < opts.reps; i++) {
          const r = await bench.rep(tasks, 16);
          if (r.errors) throw new Error(`${r.errors} errors, first: ${r.firstError}`);
          if (r.completed !== tasks) throw new Error(`${r.completed} of ${tasks} tasks completed`);
          reps.push(r);
          log(
            `tasks ${workers} workers rep ${i + 1}: ${r.completedPerSec} claimed+completed/s, ${r.createdPerSec} created/s`,
          );
        }
        result.runs.push({
          workers,
          reps,
          completedPerSec: round(
            medianOf(reps, (r) => r.completedPerSec),
            0,
          ),
          cycleP50: round(medianOf(reps, (r) => r.cycleMs.p50)),
          cycleP99: round(medianOf(reps, (r) => r.cycleMs.p99)),
        });
      } finally {
        await bench.close();
      }
    }
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
    log(`tasks failed: ${result.error}`);
  } finally {
    await hub.stop();
  }
  return result;
}

export function renderTasks(r: TasksResult): string {
  const lines = [
    `(e) Task claim throughput over WebSocket call frames (${r.tasksPerRep} open tasks per repetition; each worker: claim_task {} → complete_task)`,
    '    workers   claimed+completed/s   created/s   claim→complete p50 ms   p99 ms',
  ];
  for (const run of r.runs) {
    const created = medianOf(run.reps, (x) => x.createdPerSec);
    lines.push(
      `    ${String(run.workers).padStart(7)}   ${String(run.completedPerSec).padStart(19)}   ${String(round(created, 0)).padStart(9)}   ${String(run.cycleP50).padStart(21)}   ${String(run.cycleP99).padStart(6)}`,
    );
  }
  if (r.error) lines.push(`    error: ${r.error}`);
  return lines.join('\n');
}
