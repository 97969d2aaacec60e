/**
 * wait_for_task: returns when the task has changed since the version the caller saw (or, with
 * until: 'finished', once it has finished), or when the timeout passes. Woken by the bus, no polling.
 */
import type { TaskView } from '../../core/wire/index.js';
import { Waiter } from '../../bus/waiter.js';
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
  const waiter = new Waiter((wake) => d.watchers.watch(input.task_id, wake));
  try {
    let baseline = input.after_version;
    let last: TaskRecord | undefined;
    const found = await waiter.until(
      async () => {
        const task = await d.read(input.task_id);
        last = task;
        baseline ??= task.version;
        const done =
          input.until === 'finished'
            ? TERMINAL.has(task.status)
            : task.version > baseline || TERMINAL.has(task.status);
        return done ? task : undefined;
      },
      { timeoutMs: timeout * 1000, signal, progress: onProgress },
    );
    if (found) return { task: taskView(found), changed: found.version > baseline!, timed_out: false };
    return { task: taskView(last!), changed: false, timed_out: true };
  } finally {
    waiter.close();
  }
}
