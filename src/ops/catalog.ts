/** The catalog: every operation of the hub. Surfaces, the CLI, the client and OpenAPI come from this list. */

import type { z } from 'zod';
import { agentOps } from './agents.js';
import { analyticsOps } from './analytics.js';
import { approvalOps } from './approvals.js';
import { contextOps } from './context.js';
import { coordinationOps } from './coordination.js';
import { deliveryOps } from './delivery.js';
import { digestOps } from './digests.js';
import { gatewayOps } from './gateway.js';
import { graphOps } from './graph.js';
import { instanceOps } from './instances.js';
import { leaseOps } from './leases.js';
import { messageOps } from './messages.js';
import { systemOps } from './system.js';
import { taskOps } from './tasks.js';
import { workflowOps } from './workflows.js';
import type { AnyOperation } from './types.js';

const operations = [
  ...agentOps,
  ...messageOps,
  ...digestOps,
  ...deliveryOps,
  ...taskOps,
  ...contextOps,
  ...leaseOps,
  ...coordinationOps,
  ...instanceOps,
  ...gatewayOps,
  ...approvalOps,
  ...workflowOps,
  ...systemOps,
  ...analyticsOps,
  ...graphOps,
] as const;

export const catalog: readonly AnyOperation[] = operations as unknown as readonly AnyOperation[];

/** Operation name → its input and output types, for the typed client. */
export type OperationMap = {
  [Op in (typeof operations)[number] as Op['name']]: {
    input: z.input<Op['input']>;
    output: z.output<Op['output']>;
  };
};
export type OperationName = keyof OperationMap;
