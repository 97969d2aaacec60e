/** Workflows: durable multi-step runs across downstream tools and hub operations. */
import type { DomainDeps } from '../deps.js';
import type { Services } from '../index.js';

export class WorkflowService {
  /** `services` gives access to the other domains (gateway, agents, ...), complete once the hub is built. */
  constructor(
    protected readonly d: DomainDeps,
    protected readonly services: Services,
  ) {}
}
