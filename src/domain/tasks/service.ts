/** Tasks: the rules of the tasks capability. */
import type { DomainDeps } from '../deps.js';
import type { Services } from '../index.js';

export class TaskService {
  /** `services` gives access to the other domains (agents, messages, ...), complete once the hub is built. */
  constructor(
    protected readonly d: DomainDeps,
    protected readonly services: Services,
  ) {}
}
