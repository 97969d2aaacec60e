/** Operations of the leases capability. */
export const leaseOps = [] as const;
