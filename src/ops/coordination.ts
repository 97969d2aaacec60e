/** Operations of the coordination capability: request/response, votes, fan-out and pipelines. */
import { fanOutOp, runPipelineOp } from './coordination/patterns.js';
import { request, respond } from './coordination/requests.js';
import { voteOps } from './coordination/votes.js';

export const coordinationOps = [request, respond, ...voteOps, fanOutOp, runPipelineOp] as const;
