/** Coordination: request/response, votes and the patterns built on tasks (fan-out, pipelines). */
import type { AgentRecord } from '../../store/types.js';
import type { DomainDeps } from '../deps.js';
import type { Services } from '../index.js';
import { type FanOutInput, type FanOutResult, fanOut, type PatternProgress } from './fan-out.js';
import { type PipelineInput, type PipelineResult, runPipeline } from './pipeline.js';
import { Requests } from './requests.js';
import { Votes } from './votes.js';

export class CoordinationService {
  readonly requests: Requests;
  readonly votes: Votes;

  /** `services` gives access to the other domains (agents, messages, ...), complete once the hub is built. */
  constructor(
    protected readonly d: DomainDeps,
    protected readonly services: Services,
  ) {
    this.requests = new Requests(d, services);
    this.votes = new Votes(d, services);
  }

  fanOut(
    me: AgentRecord,
    input: FanOutInput,
    signal?: AbortSignal,
    progress?: PatternProgress,
  ): Promise<FanOutResult> {
    return fanOut(this.d, this.services, me, input, signal, progress);
  }

  runPipeline(
    me: AgentRecord,
    input: PipelineInput,
    signal?: AbortSignal,
    progress?: PatternProgress,
  ): Promise<PipelineResult> {
    return runPipeline(this.d, this.services, me, input, signal, progress);
  }

  /** Periodic upkeep: closes votes whose deadline has passed (also after a restart). */
  async sweep(): Promise<void> {
    await this.votes.sweep();
  }
}
