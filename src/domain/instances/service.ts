/** Instances: the rules of the instances capability. */
import type { DomainDeps } from '../deps.js';
import type { Services } from '../index.js';

export class InstanceService {
  /** `services` gives access to the other domains (agents, messages, ...), complete once the hub is built. */
  constructor(
    protected readonly d: DomainDeps,
    protected readonly services: Services,
  ) {}
}
