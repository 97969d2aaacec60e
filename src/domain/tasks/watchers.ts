/** Wakes blocked waits when their task changes: one bus subscription for all of them. */
import { type Bus, channels } from '../../bus/bus.js';

export class TaskWatchers {
  private readonly waiting = new Map<string, Set<() => void>>();

  constructor(bus: Bus) {
    bus.subscribe(channels.all, (event) => {
      if (!event.type.startsWith('task.')) return;
      const set = this.waiting.get((event as { task: { task_id: string } }).task.task_id);
      if (set) for (const wake of [...set]) wake();
    });
  }

  /** Calls `wake` on every change of the task until the returned function is called. */
  watch(taskId: string, wake: () => void): () => void {
    let set = this.waiting.get(taskId);
    if (!set) {
      set = new Set();
      this.waiting.set(taskId, set);
    }
    set.add(wake);
    return () => {
      const s = this.waiting.get(taskId);
      if (!s) return;
      s.delete(wake);
      if (s.size === 0) this.waiting.delete(taskId);
    };
  }
}
