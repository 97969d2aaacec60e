/** Operations of the instances capability. */
export const instanceOps = [] as const;
