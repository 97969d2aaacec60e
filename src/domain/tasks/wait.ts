/**
 * wait_for_task: returns when the task has changed since the version the caller saw (or, with
 * until: 'finished', once it has finished), or when the timeout passes. Woken by the bus, no polling.
 */
import type { TaskView } from '../../bus/task-events.js';
import type { Config } from '../../config/schema.js';
import type { TaskRecord } from '../../store/tasks.js';
import { TERMINAL } from './transitions.js';
import { taskView } from './views.js';
import type { TaskWatchers } from './watchers.js';

export interface WaitTaskInput {
  task_id: string;
  timeout_seconds?: number;
  /** Return once the task's version is above this (default: its version when the wait starts). */
  after_version?: number;
  /** 'change' (default): any transition; 'finished': completed, failed or cancelled. */
  until?: 'change' | 'finished';
}

export interface WaitTaskResult {
  task: TaskView;
  changed: boolean;
  timed_out: boolean;
}

interface WaitDeps {
  config: Config;
  watchers: TaskWatchers;
  read(id: string): Promise<TaskRecord>;
}

export async function waitForTask(
  d: WaitDeps,
  input: WaitTaskInput,
  signal?: AbortSignal,
  onProgress?: (elapsed: number, total: number) => void,
): Promise<WaitTaskResult> {
  const timeout = Math.min(
    input.timeout_seconds ?? d.config.tasks.defaultWaitSeconds,
    d.config.tasks.maxWaitSeconds,
  );
  let wake: (() => void) | undefined;
  let pending = false;
  const unwatch = d.watchers.watch(input.task_id, () => {
    pending = true;
    wake?.();
  });
  const started = Date.now();
  const deadline = started + timeout * 1000;
  const progress = onProgress
    ? setInterval(() => onProgress(Math.round((Date.now() - started) / 1000), timeout), 5000)
    : undefined;
  try {
    let task = await d.read(input.task_id);
    const baseline = input.after_version ?? task.version;
    const done = (x: TaskRecord) =>
      input.until === 'finished' ? TERMINAL.has(x.status) : x.version > baseline || TERMINAL.has(x.status);
    for (;;) {
      if (done(task)) return { task: taskView(task), changed: task.version > baseline, timed_out: false };
      const remaining = deadline - Date.now();
      if (remaining <= 0 || signal?.aborted) return { task: taskView(task), changed: false, timed_out: true };
      if (!pending) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(finish, remaining);
          const onAbort = () => finish();
          signal?.addEventListener('abort', onAbort, { once: true });
          function finish() {
            clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
            wake = undefined;
            resolve();
          }
          wake = finish;
        });
      }
      pending = false;
      task = await d.read(input.task_id);
    }
  } finally {
    unwatch();
    if (progress) clearInterval(progress);
  }
}
