/**
 * `task_proposal` messages: announcing a task sends one durable message of type task_proposal to
 * every active agent of the project that could take it. Its correlation_id is the task id, so an
 * agent that only speaks messages claims it by answering with type task_accept and the same
 * correlation_id (see accept.ts).
 */
import type { TaskView } from '../../core/wire/index.js';
import type { AgentRecord } from '../../store/types.js';
import type { Services } from '../index.js';

export async function announceTask(
  services: Services,
  creator: AgentRecord,
  task: TaskView,
): Promise<string[]> {
  const caps = task.required_capabilities;
  const agents = await services.agents.list({ capability: caps[0], project: creator.project });
  const recipients = agents
    .filter((a) => a.agent_id !== creator.id && a.status !== 'retired' && a.status !== 'offline')
    .filter((a) => caps.every((c) => a.capabilities.includes(c)))
    .map((a) => a.agent_id)
    .slice(0, 1000);
  if (recipients.length === 0) return [];
  await services.messages.send(creator, {
    to: recipients,
    type: 'task_proposal',
    subject: task.title,
    correlation_id: task.task_id,
    body: {
      task_id: task.task_id,
      title: task.title,
      description: task.description,
      required_capabilities: caps,
      priority: task.priority,
      deadline: task.deadline,
      how_to_accept: `reply with type task_accept and correlation_id ${task.task_id}, or call claim_task`,
    },
  });
  return recipients;
}
