/** Operations of the gateway capability. */
export const gatewayOps = [] as const;
