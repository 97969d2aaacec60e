/** Operations of the tasks capability. */
export const taskOps = [] as const;
