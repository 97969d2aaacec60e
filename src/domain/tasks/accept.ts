/**
 * `task_accept` messages map onto claims: a message of type task_accept whose correlation_id (or
 * body.task_id) names an open task claims it for the sender. The messages domain is untouched: this
 * listens to its hub-wide `message.sent` events.
 */
import { channels } from '../../bus/bus.js';
import type { DomainDeps } from '../deps.js';
import type { TaskService } from './service.js';

export function taskIdOf(message: { correlation_id: string | null; body: unknown }): string | undefined {
  if (message.correlation_id?.startsWith('tsk_')) return message.correlation_id;
  const body = message.body;
  if (body && typeof body === 'object' && typeof (body as { task_id?: unknown }).task_id === 'string') {
    return (body as { task_id: string }).task_id;
  }
  return undefined;
}

export function listenForTaskAccept(d: DomainDeps, tasks: TaskService): void {
  d.bus.subscribeLocal(channels.all, (event) => {
    if (event.type !== 'message.sent' || event.message.type !== 'task_accept') return;
    const taskId = taskIdOf(event.message);
    if (!taskId) return;
    const from = event.message.from;
    void (async () => {
      const agent = await d.store.getAgent(from);
      if (!agent || agent.retiredAt) return;
      await tasks.claim(agent, taskId);
    })().catch((err) =>
      d.logger.info(
        { task: taskId, agent: from, reason: (err as Error).message },
        'task_accept did not claim',
      ),
    );
  });
}
