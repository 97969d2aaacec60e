/** Operations of the workflows capability. */
export const workflowOps = [] as const;
