/** Operations of the context capability. */
export const contextOps = [] as const;
