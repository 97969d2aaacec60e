/** Persistence for gateway: the GatewayStore part of the Store interface. */
export interface GatewayStore {}
