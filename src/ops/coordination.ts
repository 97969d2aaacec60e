/** Operations of the coordination capability. */
export const coordinationOps = [] as const;
